package org.parry.eval;

import java.util.Arrays;
import java.util.Objects;
import java.util.TreeMap;
import org.parry.attack.Require;
import org.parry.norm.Norm;

/**
 * What to evaluate: the suite, the threat model (norm and one or more ε), the seed and the batch
 * size.
 *
 * @param suite the attacks, in order
 * @param norm the threat model's norm
 * @param epsilons the budgets, ascending (an ε sweep when more than one)
 * @param seed seeds every attack (each unit of work derives its own seed from it)
 * @param batchSize images per attack call
 */
public record EvaluationSettings(Suite suite, Norm norm, float[] epsilons, long seed, int batchSize)
        implements java.io.Serializable {

    public EvaluationSettings {
        Objects.requireNonNull(suite, "suite");
        Objects.requireNonNull(norm, "norm");
        if (epsilons == null || epsilons.length == 0) {
            throw new IllegalArgumentException("give at least one epsilon");
        }
        epsilons = epsilons.clone();
        for (int i = 0; i < epsilons.length; i++) {
            Require.epsilon(norm, epsilons[i]);
            if (i > 0 && !(epsilons[i] > epsilons[i - 1])) {
                throw new IllegalArgumentException("epsilons must be strictly increasing, got "
                        + Arrays.toString(epsilons));
            }
        }
        Require.atLeast("batch size", batchSize, 1);
    }

    /**
     * A stable description of everything that changes the numbers, for the journal: at each ε,
     * every attack's name and settings (sorted by key, so that any map gives one spelling).
     */
    public String fingerprint() {
        StringBuilder text = new StringBuilder(suite.name()).append('|').append(norm.id());
        for (float epsilon : epsilons) {
            for (SuiteAttack attack : suite.attacks()) {
                text.append('|').append(attack.name())
                        .append(new TreeMap<>(attack.create(norm, epsilon, seed).settings()));
            }
        }
        return text.append('|').append(Arrays.toString(epsilons)).append('|').append(seed)
                .append('|').append(batchSize).toString();
    }
}
