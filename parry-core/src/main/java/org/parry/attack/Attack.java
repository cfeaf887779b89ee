package org.parry.attack;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import org.parry.criterion.Criterion;
import org.parry.model.Classifier;

/**
 * An evasion attack: a small immutable configuration plus {@link #run}. What success means is the
 * {@link Criterion} argument, never a flag of the attack. Every result is feasible: in the model's
 * box ({@link Classifier#bounds()}) and, for bounded attacks, in the ε-ball, guaranteed by {@link
 * AttackResult#bounded}.
 * Attacks open PyTorch gradient collectors, one per process: they are not thread-safe.
 */
public interface Attack {

    /** The registry name, e.g. {@code pgd}. */
    String name();

    /** Every setting, defaults included, as the report and {@code --json} show them. */
    Map<String, Object> settings();

    /**
     * Attacks a batch.
     *
     * @param model the classifier (white-box attacks need {@link Classifier#hasGradients()})
     * @param x [N, C, H, W] clean inputs in the model's {@link Classifier#bounds()}
     * @param criterion what success means, with the labels or targets
     * @return the adversarial batch and its statistics, as Java values
     */
    AttackResult run(Classifier model, NDArray x, Criterion criterion);
}
