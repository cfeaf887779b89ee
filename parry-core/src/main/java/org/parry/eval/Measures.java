package org.parry.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import org.parry.attack.Attack;
import org.parry.attack.Fgsm;
import org.parry.attack.Hypocritical;
import org.parry.attack.Pgd;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.loss.AttackLoss;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.BlockClassifier;
import org.parry.norm.Norm;

/**
 * The measures of Parry's defense protocol (docs/defenses.md): clean accuracy, accuracy under an
 * attack (FGSM, PGD-20 on cross-entropy or on the C&amp;W margin), the share of points whose
 * input gradient is exactly zero (the signature of a masked gradient), AutoAttack-standard
 * followed by the sanity checks, and the hypocritical risk of Tao et al. All accuracies count a
 * point as robust when it is classified correctly both clean and attacked.
 */
public final class Measures {

    /** Images per attack call. */
    private static final int BATCH = 250;

    private Measures() {}

    /** Clean accuracy, under the key {@code clean}. */
    public static Measure clean(int points) {
        return simple("clean", points, (model, test) ->
                ConfusionMatrix.measure(model, test, BATCH, done -> {}).accuracy());
    }

    /** Accuracy under {@code attack} (robust accuracy), under {@code key}. */
    public static Measure robust(String key, int points, Attack attack) {
        return simple(key, points, (model, test) -> new DataSetAttack(attack, null, BATCH, 0, false)
                .run(model, test, DataSetAttack.Listener.NONE).robustAccuracy());
    }

    /** FGSM at ε, without random start: {@code fgsm}. */
    public static Measure fgsm(int points, float epsilon) {
        return robust("fgsm", points, Fgsm.of(epsilon));
    }

    /**
     * PGD-20 at ε with step ε/4 and a random start (seed 0), on cross-entropy ({@code pgd20}) or on
     * the C&amp;W margin ({@code pgd20_cw}).
     */
    public static Measure pgd20(int points, float epsilon, AttackLoss loss) {
        return robust(loss == AttackLoss.CW ? "pgd20_cw" : "pgd20", points,
                Pgd.builder(Norm.LINF, epsilon).optSteps(20).optStepSize(epsilon / 4)
                        .optLoss(loss).optSeed(0).build());
    }

    /** The share of points whose cross-entropy input gradient is zero everywhere. */
    public static Measure zeroGradient(int points) {
        return simple("zero_gradient_fraction", points, (model, test) -> {
            long zero = 0;
            try (NDManager scope = model.manager().newSubManager()) {
                for (int b = 0; b < test.numBatches(BATCH); b++) {
                    try (NDManager batchScope = scope.newSubManager()) {
                        Batch batch = test.batchNumber(batchScope, b, BATCH);
                        NDArray gradient = model.lossGradient(batch.x(), batch.y(),
                                CrossEntropyLoss.get()).gradient();
                        zero += gradient.abs().reshape(batch.size(), -1).max(new int[] {1}).eq(0f)
                                .sum().getLong();
                    }
                }
            }
            return (double) zero / test.size();
        });
    }

    /**
     * Hypocritical risk ({@link HypocriticalRisk#risk}): the share of the model's clean mistakes that
     * a hypocritical perturbation (PGD-20 descent on the true label's cross-entropy, step ε/4)
     * turns correct, under {@code hypocritical_risk}.
     */
    public static Measure hypocriticalRisk(int points, float epsilon) {
        return simple("hypocritical_risk", points, (model, test) -> {
            AttackTally tally = new DataSetAttack(Hypocritical.of(Norm.LINF, epsilon, 0), null,
                    BATCH, 0, false).run(model, test, DataSetAttack.Listener.NONE);
            return HypocriticalRisk.of(tally.labels(), tally.cleanPredictions(),
                    tally.adversarialPredictions()).risk();
        });
    }

    /**
     * AutoAttack-standard (APGD-CE, APGD-T, FAB-T, Square) at ε through {@link Evaluator}, then
     * {@link SanityChecks} on that evaluation: the value is the robust accuracy, the flags the
     * checks that warned or failed. Its journal in {@code scratch} lets an interrupted run resume.
     */
    public static Measure autoAttack(int points, float epsilon) {
        return new Measure() {
            @Override
            public String key() {
                return "autoattack";
            }

            @Override
            public int points() {
                return points;
            }

            @Override
            public Outcome measure(BlockClassifier model, ImageDataset test, Path scratch)
                    throws java.io.IOException {
                EvaluationSettings settings = new EvaluationSettings(Suite.parse("autoattack"),
                        Norm.LINF, new float[] {epsilon}, 0, BATCH);
                Evaluator.Run evaluation = new Evaluator(settings, EvaluationListener.NONE)
                        .run(model, test, scratch.resolve("autoattack-" + points), true);
                return new Outcome(evaluation.results().get(0).robustAccuracy(),
                        SanityChecks.flagged(SanityChecks.run(model, test, settings, evaluation)));
            }
        };
    }

    /** A measure that needs neither flags nor files. */
    public interface Computation {
        double compute(BlockClassifier model, ImageDataset test);
    }

    /** A measure from its key, points and computation. */
    public static Measure simple(String key, int points, Computation computation) {
        return new Measure() {
            @Override
            public String key() {
                return key;
            }

            @Override
            public int points() {
                return points;
            }

            @Override
            public Outcome measure(BlockClassifier model, ImageDataset test, Path scratch) {
                return Outcome.of(computation.compute(model, test));
            }
        };
    }
}
