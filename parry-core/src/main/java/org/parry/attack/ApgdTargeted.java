package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.parry.criterion.Criterion;
import org.parry.criterion.TargetedMisclassification;
import org.parry.loss.AttackLoss;
import org.parry.loss.LogitLoss;
import org.parry.model.Classifier;
import org.parry.model.NoGradientClassifier;
import org.parry.norm.Norm;

/**
 * APGD-T (Croce and Hein, "Reliable evaluation of adversarial robustness with an ensemble of
 * diverse parameter-free attacks", ICML 2020, arXiv:2003.01690; code fra31/auto-attack): {@link
 * Apgd} on the targeted DLR loss
 * <pre>
 *   DLR_T(x, y, t) = -(z_y - z_t) / (z_π1 - (z_π3 + z_π4) / 2 + 1e-12),
 * </pre>
 * run once per target: for k = 2 .. targets + 1, t is the class with the k-th largest clean logit
 * of each sample, and the run covers only the samples no earlier target has broken. The targets
 * are internal: success is untargeted misclassification, so the criterion must be a {@link
 * org.parry.criterion.Misclassification}. Defaults (AutoAttack "standard"): 9 targets (capped at
 * K - 1), 1 restart per target, 100 steps, ρ = 0.75, no EOT ({@code eot} gradient draws per
 * iterate for randomized models, as in {@link Apgd}). Needs K &gt;= 4.
 *
 * <p>Parry's deviations are {@link Apgd}'s; in addition the targets are read from the clean logits
 * computed once for the batch (the reference recomputes them on the still-robust subset, which
 * gives the same classes for a deterministic model). Not thread-safe.
 *
 * @param norm {@link Norm#LINF} or {@link Norm#L2}
 * @param epsilon the ball's radius
 * @param steps iterations per target and restart
 * @param targets how many target classes, at most K - 1
 * @param restarts random restarts per target
 * @param rho ρ of the step-size rule
 * @param eot gradient draws averaged per iterate (1: none)
 * @param seed the random starts' seed
 */
public record ApgdTargeted(Norm norm, float epsilon, int steps, int targets, int restarts,
        float rho, int eot, long seed) implements Attack {

    public ApgdTargeted {
        Apgd.requireNorm(norm, "apgd-t");
        Require.epsilon(norm, epsilon);
        Require.atLeast("steps", steps, 1);
        Require.atLeast("targets", targets, 1);
        Require.atLeast("restarts", restarts, 1);
        Apgd.requireRho(rho);
        Require.atLeast("eot", eot, 1);
    }

    /** A builder with AutoAttack's defaults (9 targets, 1 restart, 100 steps, ρ = 0.75). */
    public static Builder builder(Norm norm, float epsilon) {
        return new Builder(norm, epsilon);
    }

    /** APGD-T with AutoAttack's defaults. */
    public static ApgdTargeted of(Norm norm, float epsilon) {
        return builder(norm, epsilon).build();
    }

    @Override
    public String name() {
        return "apgd-t";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("norm", norm.id());
        settings.put("epsilon", epsilon);
        settings.put("steps", steps);
        settings.put("targets", targets);
        settings.put("restarts", restarts);
        settings.put("rho", rho);
        settings.put("eot", eot);
        settings.put("seed", seed);
        return settings;
    }

    @Override
    public AttackResult run(Classifier model, NDArray x, Criterion criterion) {
        return run(model, x, criterion, Apgd.StepSizeTrace.NONE);
    }

    /** {@link #run}, reporting every sample's step size at every iteration to {@code trace}. */
    AttackResult run(Classifier model, NDArray x, Criterion criterion, Apgd.StepSizeTrace trace) {
        NoGradientClassifier.requireGradients(model, name());
        AttackResult.requireInputs(model, x, criterion);
        if (criterion.targeted()) {
            throw new IllegalArgumentException("apgd-t chooses its own targets and counts any"
                    + " misclassification as success: pass a Misclassification criterion, or use"
                    + " apgd-ce or apgd-dlr with a TargetedMisclassification for one given target");
        }
        Apgd.requireClasses(model, 4, name(), "the targeted DLR loss", "apgd-ce or apgd-dlr");
        int count = Math.min(targets, model.numClasses() - 1);
        long start = System.nanoTime();
        CountingClassifier counted = new CountingClassifier(model);
        try (NDManager scope = x.getManager().newSubManager()) {
            NDList owned = new NDList(x);
            owned.addAll(criterion.arrays());
            scope.tempAttachAll(Batches.distinct(owned).toArray(new NDArray[0]));
            Apgd.Search search = new Apgd.Search(counted, x, criterion, eot);
            Function<Criterion, LogitLoss> objective =
                    active -> AttackLoss.DLR.forCriterion(active, 0f);
            int run = 0;
            for (int rank = 2; rank <= count + 1; rank++) {
                try (NDManager target = scope.newSubManager()) {
                    NDArray classes = targetClasses(search.cleanLogits(), rank);
                    classes.attach(target);
                    Criterion toward = new TargetedMisclassification(classes, criterion.labels());
                    for (int restart = 0; restart < restarts; restart++, run++) {
                        long[] rows = search.remaining();
                        if (rows.length == 0) {
                            break;
                        }
                        search.run(rows, criterion, toward, objective, norm, epsilon, steps, rho,
                                seed + 7919L * run, run, trace);
                    }
                }
            }
            return AttackResult.bounded(counted, x, search.adversarial(), criterion, norm, epsilon,
                    start);
        }
    }

    /**
     * The class with the {@code rank}-th largest logit of each sample (rank 1 = the predicted
     * class), int64 [N], in the logits' manager.
     */
    static NDArray targetClasses(NDArray logits, int rank) {
        long classes = logits.getShape().get(1);
        if (rank < 1 || rank > classes) {
            throw new IllegalArgumentException("rank must be in [1, " + classes + "], got " + rank);
        }
        NDManager owner = logits.getManager();
        try (NDManager scope = owner.newSubManager()) {
            scope.tempAttachAll(logits);
            NDArray chosen = logits.argSort(1, false).get(new NDIndex(":, {}", rank - 1))
                    .toType(DataType.INT64, true);
            chosen.attach(owner);
            return chosen;
        }
    }

    /** Builds {@link ApgdTargeted}; every option has a default. */
    public static final class Builder {
        private final Norm norm;
        private final float epsilon;
        private int steps = 100;
        private int targets = 9;
        private int restarts = 1;
        private float rho = 0.75f;
        private int eot = 1;
        private long seed;

        private Builder(Norm norm, float epsilon) {
            this.norm = norm;
            this.epsilon = epsilon;
        }

        /** Iterations per target and restart; default 100. */
        public Builder optSteps(int value) {
            steps = value;
            return this;
        }

        /** Targets: the 2nd .. (targets+1)-th largest clean logits; default 9, capped at K - 1. */
        public Builder optTargets(int value) {
            targets = value;
            return this;
        }

        /** Restarts per target; default 1. */
        public Builder optRestarts(int value) {
            restarts = value;
            return this;
        }

        /** ρ of condition C1; default 0.75. */
        public Builder optRho(float value) {
            rho = value;
            return this;
        }

        /** Gradient draws averaged per iterate (expectation over transformation); default 1. */
        public Builder optEot(int value) {
            eot = value;
            return this;
        }

        public Builder optSeed(long value) {
            seed = value;
            return this;
        }

        public ApgdTargeted build() {
            return new ApgdTargeted(norm, epsilon, steps, targets, restarts, rho, eot, seed);
        }
    }
}
