package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.parry.criterion.Criterion;
import org.parry.model.Classifier;
import org.parry.model.EnsembleClassifier;

/**
 * A transfer (black-box) attack: adversarial examples crafted with any attack on a source model
 * the attacker holds, then judged on the target (Szegedy et al. 2014; Papernot, McDaniel,
 * Goodfellow, Jha, Celik and Swami, "Practical black-box attacks against machine learning", ASIA
 * CCS 2017; Tramèr, Kurakin, Papernot, Goodfellow, Boneh and McDaniel, "Ensemble adversarial
 * training: attacks and defenses", ICLR 2018):
 * <pre>
 *   x_adv = inner.run(source, x, criterion).adversarial,   success = criterion(target(x_adv))
 * </pre>
 * With several sources the source is their {@link EnsembleClassifier} (the loss of the mean
 * logits by default). The target passed to {@link #run} is only asked for logits, once per sample,
 * so it may be a query-only model (a remote API, an ONNX file, a {@link
 * org.parry.model.NoGradientClassifier}).
 *
 * <p>The inner result is feasible for the source (in its box and, for a bounded attack, in its
 * ε-ball around x); it is clipped to the target's box, which must be the source's (a different box
 * is an error, since the ball would then mean something else on each side). The result's success
 * and predictions are the target's; its {@code gradients} are those spent on the source, its
 * {@code queries} those of the target, its time the whole run's. When the target is the source
 * itself the result is exactly the white-box one.
 *
 * @param source the model the examples are crafted on (an ensemble for several sources)
 * @param inner the attack run on the source, with the caller's criterion
 */
public record TransferAttack(Classifier source, Attack inner) implements Attack {

    public TransferAttack {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(inner, "inner");
        if (inner instanceof TransferAttack) {
            throw new IllegalArgumentException("the inner attack is itself a transfer attack; give"
                    + " its sources to one transfer attack instead");
        }
    }

    /**
     * A transfer attack from one source, or from the ensemble of several (the loss of their mean
     * logits), which stay the caller's to close.
     *
     * @throws IllegalArgumentException for no sources or sources of different tasks
     */
    public static TransferAttack of(Attack inner, List<? extends Classifier> sources) {
        Objects.requireNonNull(sources, "sources");
        if (sources.size() == 1) {
            return new TransferAttack(sources.get(0), inner);
        }
        return new TransferAttack(
                EnsembleClassifier.of(sources, EnsembleClassifier.Combination.LOGITS), inner);
    }

    /** The source models' names: the members of an ensemble, or the one source. */
    public List<String> sourceNames() {
        if (source instanceof EnsembleClassifier ensemble) {
            return ensemble.members().stream().map(Classifier::name).toList();
        }
        return List.of(source.name());
    }

    @Override
    public String name() {
        return "transfer-" + inner.name();
    }

    /** The sources (and, for an ensemble, how it combines them), then the inner attack's settings. */
    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("sources", sourceNames());
        if (source instanceof EnsembleClassifier ensemble) {
            settings.put("ensemble", ensemble.combination().id());
        }
        settings.put("attack", inner.name());
        settings.putAll(inner.settings());
        return settings;
    }

    @Override
    public AttackResult run(Classifier target, NDArray x, Criterion criterion) {
        AttackResult.requireInputs(target, x, criterion);
        EnsembleClassifier.requireSameTask(target, source, "source model");
        long start = System.nanoTime();
        AttackResult crafted = inner.run(source, x, criterion);
        return judge(crafted, target, x, criterion, start);
    }

    /**
     * Judges examples crafted on a source on a target: clipped to the target's box, success and
     * predictions from the target's logits (one query per sample), the source's gradients kept.
     * {@link org.parry.eval.TransferMatrix} uses it to judge one crafted batch on every target.
     *
     * @param crafted the inner attack's result on the source, for the samples {@code x}
     * @param startNanos {@link System#nanoTime()} when crafting started
     */
    public static AttackResult judge(AttackResult crafted, Classifier target, NDArray x,
            Criterion criterion, long startNanos) {
        CountingClassifier counted = new CountingClassifier(target);
        try (NDManager scope = x.getManager().newSubManager()) {
            AttackResult judged = AttackResult.unbounded(counted, x, crafted.adversarial(scope),
                    criterion, startNanos);
            return new AttackResult(judged.adversarial(), judged.shape(), judged.success(),
                    judged.predictions(), judged.l0(), judged.l2(), judged.linf(),
                    crafted.gradients(), judged.queries(), judged.seconds(), null);
        }
    }
}
