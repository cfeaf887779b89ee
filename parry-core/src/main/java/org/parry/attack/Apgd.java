package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.parry.criterion.Criterion;
import org.parry.loss.AttackLoss;
import org.parry.loss.LogitLoss;
import org.parry.model.Bounds;
import org.parry.model.Classifier;
import org.parry.model.LossGradient;
import org.parry.model.NoGradientClassifier;
import org.parry.norm.Norm;
import org.parry.norm.RandomNoise;

/**
 * Auto-PGD (Croce and Hein, "Reliable evaluation of adversarial robustness with an ensemble of
 * diverse parameter-free attacks", ICML 2020, arXiv:2003.01690; code fra31/auto-attack), the
 * step-size-free PGD of AutoAttack: APGD-CE with the cross-entropy, APGD-DLR with the difference of
 * logits ratio. With P the projection onto B(x, ε) ∩ [0, 1] and s = sign (L∞) or g / ||g||_2 (L2):
 * <pre>
 *   x_0     = P(x + ε · t / ||t||),  t ~ U(-1, 1)^d (L∞) or N(0, I) (L2)
 *   z_{k+1} = P(x_k + η_k · s(∇L(x_k)))
 *   x_{k+1} = P(x_k + α (z_{k+1} - x_k) + (1 - α)(x_k - x_{k-1})),  α = 0.75 (α = 1 at k = 0)
 * </pre>
 * η_0 = 2ε. At the checkpoints w_j = ceil(p_j · steps), p_0 = 0, p_1 = 0.22,
 * p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06) (22, 41, 57, 70, 80, 87, 93, 99 for 100 steps),
 * η is halved for a sample if (C1) its loss increased in at most ρ · (w_j - w_{j-1}) of the steps
 * since the last checkpoint, or (C2) η was not halved at the last checkpoint and the best loss has
 * not improved since; a halving sample restarts from its best-loss point x_max and that point's
 * gradient. All of this state is per sample. Any misclassified iterate is kept and returned;
 * restarts run on the samples still robust, with fresh random starts. Defaults (AutoAttack): 100
 * steps, ρ = 0.75, 1 restart.
 *
 * <p>Expectation over transformation (Athalye, Carlini and Wagner, ICML 2018; AutoAttack's
 * {@code eot_iter}): with {@code eot} &gt; 1, every point is evaluated by {@code eot} forward and
 * backward passes, and the step follows the mean gradient, the step-size rule and x_max follow the
 * mean loss, and success is checked on the mean logits. A randomized model (noise, dropout, random
 * resizing at test time) draws its randomness anew in each pass, so this ascends the expected
 * loss; AutoAttack's "rand" version uses 20 draws and 1 restart. Each pass counts as a gradient.
 *
 * <p>Parry's deviations: a sample leaves the batch at its first misclassified iterate (the
 * reference keeps iterating it and returns its last misclassified iterate; both are valid
 * adversarial examples, and no other sample's trajectory changes since all state is per sample);
 * C1 counts the first interval's increases from the loss at x_0 (the reference compares its first
 * step with an uninitialized zero row); a sample no restart breaks returns its highest-loss
 * iterate over all restarts (the reference returns the clean input); the random draws come from
 * the attack's seed, on the Java side; with EOT the loss and the success check use the mean over
 * the draws (the reference uses the last draw's loss and logits, so a single lucky draw can end a
 * sample's attack). L1 APGD (sparse steps) is not implemented. Not thread-safe.
 *
 * @param norm {@link Norm#LINF} or {@link Norm#L2}
 * @param epsilon the ball's radius
 * @param loss the loss ascended (CE or DLR; a targeted criterion switches to -CE(t) / targeted DLR)
 * @param steps iterations per restart
 * @param restarts random restarts, each on the samples still robust
 * @param rho ρ, the fraction of increasing steps below which C1 halves the step
 * @param eot gradient draws averaged per iterate (1: none; 20 for randomized models)
 * @param seed the random starts' seed
 */
public record Apgd(Norm norm, float epsilon, AttackLoss loss, int steps, int restarts, float rho,
        int eot, long seed) implements Attack {

    /** α, the weight of the new gradient step against the previous update. */
    static final float MOMENTUM = 0.75f;
    /** η_0 / ε. */
    static final float INITIAL_STEP = 2f;

    public Apgd {
        Objects.requireNonNull(loss, "loss");
        requireNorm(norm, "apgd");
        Require.epsilon(norm, epsilon);
        Require.atLeast("steps", steps, 1);
        Require.atLeast("restarts", restarts, 1);
        requireRho(rho);
        Require.atLeast("eot", eot, 1);
    }

    /**
     * A builder with AutoAttack's defaults (cross-entropy, 100 steps, ρ = 0.75, 1 restart, no
     * EOT).
     */
    public static Builder builder(Norm norm, float epsilon) {
        return new Builder(norm, epsilon);
    }

    /** APGD-CE with AutoAttack's defaults. */
    public static Apgd ce(Norm norm, float epsilon) {
        return builder(norm, epsilon).build();
    }

    /** APGD-DLR with AutoAttack's defaults. */
    public static Apgd dlr(Norm norm, float epsilon) {
        return builder(norm, epsilon).optLoss(AttackLoss.DLR).build();
    }

    @Override
    public String name() {
        return "apgd-" + loss.id();
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("norm", norm.id());
        settings.put("epsilon", epsilon);
        settings.put("loss", loss.id());
        settings.put("steps", steps);
        settings.put("restarts", restarts);
        settings.put("rho", rho);
        settings.put("eot", eot);
        settings.put("seed", seed);
        return settings;
    }

    @Override
    public AttackResult run(Classifier model, NDArray x, Criterion criterion) {
        return run(model, x, criterion, StepSizeTrace.NONE);
    }

    /** {@link #run}, reporting every sample's step size at every iteration to {@code trace}. */
    AttackResult run(Classifier model, NDArray x, Criterion criterion, StepSizeTrace trace) {
        NoGradientClassifier.requireGradients(model, name());
        AttackResult.requireInputs(model, x, criterion);
        if (loss == AttackLoss.DLR) {
            requireClasses(model, criterion.targeted() ? 4 : 3, name(),
                    criterion.targeted() ? "the targeted DLR loss" : "the DLR loss", "apgd-ce");
        }
        long start = System.nanoTime();
        CountingClassifier counted = new CountingClassifier(model);
        try (NDManager scope = x.getManager().newSubManager()) {
            NDList owned = new NDList(x);
            owned.addAll(criterion.arrays());
            scope.tempAttachAll(Batches.distinct(owned).toArray(new NDArray[0]));
            Search search = new Search(counted, x, criterion, eot);
            Function<Criterion, LogitLoss> objective =
                    active -> loss.forCriterion(active, Float.POSITIVE_INFINITY);
            for (int restart = 0; restart < restarts; restart++) {
                long[] rows = search.remaining();
                if (rows.length == 0) {
                    break;
                }
                search.run(rows, criterion, criterion, objective, norm, epsilon, steps, rho,
                        seed + 7919L * restart, restart, trace);
            }
            return AttackResult.bounded(counted, x, search.adversarial(), criterion, norm, epsilon,
                    start);
        }
    }

    /**
     * The checkpoints w_j = ceil(p_j · steps), as iteration counts in 1..steps, increasing: the
     * step-size rule runs after iteration w_j (0-based w_j - 1), so η changes first at iteration
     * index w_j.
     */
    static int[] checkpoints(int steps) {
        int[] out = new int[steps];
        int count = 0;
        int previous = 0;
        int current = 22; // p in hundredths
        while (true) {
            int w = (current * steps + 99) / 100;
            if (w > steps) {
                break;
            }
            if (count == 0 || w > out[count - 1]) {
                out[count++] = w;
            }
            int next = current + Math.max(current - previous - 3, 6);
            previous = current;
            current = next;
        }
        return Arrays.copyOf(out, count);
    }

    /** Observes the per-sample step sizes η, for tests and diagnostics. */
    @FunctionalInterface
    interface StepSizeTrace {
        StepSizeTrace NONE = (run, iteration, positions, stepSizes) -> {};

        /**
         * @param run the restart (for APGD-T: the target and restart) counted from 0
         * @param iteration the iteration, from 0
         * @param positions the batch positions of the samples still attacked
         * @param stepSizes their η at this iteration
         */
        void record(int run, int iteration, long[] positions, float[] stepSizes);
    }

    /**
     * The outcome of APGD runs on one batch: the points found so far, which samples are broken
     * (misclassified at the clean input, or at an iterate), and for the others the highest loss.
     */
    static final class Search {
        private final CountingClassifier model;
        private final int eot;
        private final NDArray x;
        private final NDArray adversarial;
        private final NDArray cleanLogits;
        private final boolean[] broken;
        private final float[] bestLoss;

        /**
         * Evaluates the clean batch; its manager must be the attack's scope.
         *
         * @param eot passes averaged per iterate
         */
        Search(CountingClassifier model, NDArray x, Criterion criterion, int eot) {
            this.model = model;
            this.eot = eot;
            this.x = x;
            this.adversarial = x.duplicate();
            this.cleanLogits = model.logits(x);
            this.broken = criterion.isAdversarial(cleanLogits).toBooleanArray();
            this.bestLoss = new float[broken.length];
            Arrays.fill(bestLoss, Float.NEGATIVE_INFINITY);
        }

        NDArray adversarial() {
            return adversarial;
        }

        NDArray cleanLogits() {
            return cleanLogits;
        }

        long[] remaining() {
            return IterativeGradientAttack.positions(broken, false);
        }

        /**
         * One APGD run on the samples at {@code rows}.
         *
         * @param success what counts as broken (checked at every iterate)
         * @param objective the criterion whose labels the loss uses (the same as {@code success}
         *     except for APGD-T, where it holds the targets)
         * @param loss the loss for a subset of {@code objective}
         */
        void run(long[] rows, Criterion success, Criterion objective,
                Function<Criterion, LogitLoss> loss, Norm norm, float epsilon, int steps,
                float rho, long seed, int run, StepSizeTrace trace) {
            int[] checkpoints = checkpoints(steps);
            try (NDManager scope = x.getManager().newSubManager()) {
                State state = new State();
                state.ids = rows.clone();
                state.positions = scope.create(rows);
                state.clean = x.get(state.positions);
                state.success = success.subset(state.positions);
                state.objective = objective == success ? state.success
                        : objective.subset(state.positions);
                state.arrays().attach(scope);
                try (NDManager step = scope.newSubManager()) {
                    state.arrays().attach(step);
                    NDArray start = randomStart(norm, state.clean, epsilon, seed, model.bounds());
                    LossGradient pass = LossGradient.mean(model::lossGradient, start, state.objective.labels(),
                            loss.apply(state.objective), eot);
                    int m = state.size();
                    state.iterate = start;
                    state.previous = start;
                    state.best = start;
                    state.gradient = pass.gradient();
                    state.bestGradient = pass.gradient();
                    state.bestLoss = pass.loss().toFloatArray();
                    state.lastLoss = state.bestLoss.clone();
                    state.bestLossAtCheck = state.bestLoss.clone();
                    state.stepSize = new float[m];
                    Arrays.fill(state.stepSize, INITIAL_STEP * epsilon);
                    state.increases = new int[m];
                    state.reducedAtCheck = new boolean[m];
                    Arrays.fill(state.reducedAtCheck, true); // as the reference: no C2 at w_1
                    record(state, state.success.isAdversarial(pass.logits()).toBooleanArray(),
                            start);
                    state.arrays().attach(scope);
                }
                int checkpoint = 0;
                for (int i = 0; i < steps && state.size() > 0; i++) {
                    try (NDManager step = scope.newSubManager()) {
                        state.arrays().attach(step);
                        if (trace != StepSizeTrace.NONE) {
                            trace.record(run, i, state.ids.clone(), state.stepSize.clone());
                        }
                        int interval = 0;
                        if (checkpoint < checkpoints.length && i + 1 == checkpoints[checkpoint]) {
                            interval = checkpoints[checkpoint]
                                    - (checkpoint == 0 ? 0 : checkpoints[checkpoint - 1]);
                            checkpoint++;
                        }
                        iterate(state, loss, norm, epsilon, i == 0 ? 1f : MOMENTUM, interval, rho);
                        state.arrays().attach(scope);
                    }
                }
                keepHighestLoss(state, scope);
            }
        }

        /** For samples no run has broken, keeps the highest-loss point over all runs. */
        private void keepHighestLoss(State state, NDManager manager) {
            long[] better = new long[state.size()];
            int count = 0;
            for (int j = 0; j < state.size(); j++) {
                int position = Math.toIntExact(state.ids[j]);
                if (state.bestLoss[j] > bestLoss[position]) {
                    bestLoss[position] = state.bestLoss[j];
                    better[count++] = j;
                }
            }
            if (count > 0) {
                NDArray rows = manager.create(Arrays.copyOf(better, count));
                adversarial.set(new NDIndex("{}", state.positions.get(rows)), state.best.get(rows));
            }
        }

        /** One APGD step: move, evaluate, update the best point, apply the step-size rule. */
        private void iterate(State state, Function<Criterion, LogitLoss> loss, Norm norm,
                float epsilon, float alpha, int interval, float rho) {
            NDArray eta = Norm.perSample(state.iterate.getManager().create(state.stepSize),
                    state.iterate);
            NDArray z = norm.project(state.iterate.add(norm.direction(state.gradient).mul(eta)),
                    state.clean, epsilon, model.bounds());
            NDArray next = alpha == 1f ? z : norm.project(state.iterate
                    .add(z.sub(state.iterate).mul(alpha))
                    .add(state.iterate.sub(state.previous).mul(1f - alpha)), state.clean, epsilon,
                    model.bounds());
            state.previous = state.iterate;
            state.iterate = next;
            LossGradient pass = LossGradient.mean(model::lossGradient, next, state.objective.labels(),
                    loss.apply(state.objective), eot);
            state.gradient = pass.gradient();
            float[] values = pass.loss().toFloatArray();
            int m = values.length;
            boolean[] improved = new boolean[m];
            for (int j = 0; j < m; j++) {
                improved[j] = values[j] > state.bestLoss[j];
                if (improved[j]) {
                    state.bestLoss[j] = values[j];
                }
                if (values[j] > state.lastLoss[j]) {
                    state.increases[j]++;
                }
            }
            state.lastLoss = values;
            NDArray improvedMask = mask(next, improved);
            state.best = NDArrays.where(improvedMask, next, state.best);
            state.bestGradient = NDArrays.where(improvedMask, state.gradient, state.bestGradient);
            if (interval > 0) {
                boolean[] reduce = new boolean[m];
                for (int j = 0; j < m; j++) {
                    boolean oscillating = state.increases[j] <= interval * rho;
                    boolean stalled = !state.reducedAtCheck[j]
                            && state.bestLossAtCheck[j] >= state.bestLoss[j];
                    reduce[j] = oscillating || stalled;
                    state.reducedAtCheck[j] = reduce[j];
                    state.bestLossAtCheck[j] = state.bestLoss[j];
                    state.increases[j] = 0;
                    if (reduce[j]) {
                        state.stepSize[j] /= 2f;
                    }
                }
                NDArray reduceMask = mask(next, reduce);
                state.iterate = NDArrays.where(reduceMask, state.best, state.iterate);
                state.gradient = NDArrays.where(reduceMask, state.bestGradient, state.gradient);
            }
            record(state, state.success.isAdversarial(pass.logits()).toBooleanArray(), next);
        }

        /**
         * Keeps the points that meet the success criterion and drops those samples from the state.
         *
         * @param evaluated the points the criterion was checked at (before any reset to x_max)
         */
        private void record(State state, boolean[] hit, NDArray evaluated) {
            long[] done = IterativeGradientAttack.positions(hit, true);
            if (done.length == 0) {
                return;
            }
            NDManager manager = state.clean.getManager();
            NDArray rows = manager.create(done);
            adversarial.set(new NDIndex("{}", state.positions.get(rows)), evaluated.get(rows));
            for (long row : done) {
                broken[Math.toIntExact(state.ids[Math.toIntExact(row)])] = true;
            }
            state.keep(IterativeGradientAttack.positions(hit, false), manager);
        }
    }

    /** The samples one run still attacks, and their per-sample APGD state. */
    private static final class State {
        long[] ids;
        NDArray positions;
        NDArray clean;
        Criterion success;
        Criterion objective;
        NDArray iterate;
        NDArray previous;
        NDArray best;
        NDArray gradient;
        NDArray bestGradient;
        float[] stepSize;
        float[] bestLoss;
        float[] lastLoss;
        float[] bestLossAtCheck;
        int[] increases;
        boolean[] reducedAtCheck;

        int size() {
            return ids.length;
        }

        NDList arrays() {
            NDList list = new NDList(positions, clean);
            for (NDArray array : new NDArray[] {iterate, previous, best, gradient, bestGradient}) {
                if (array != null) {
                    list.add(array);
                }
            }
            list.addAll(success.arrays());
            list.addAll(objective.arrays());
            return Batches.distinct(list);
        }

        void keep(long[] kept, NDManager manager) {
            NDArray rows = manager.create(kept);
            boolean shared = objective == success;
            positions = positions.get(rows);
            clean = clean.get(rows);
            success = success.subset(rows);
            objective = shared ? success : objective.subset(rows);
            iterate = iterate.get(rows);
            previous = previous.get(rows);
            best = best.get(rows);
            gradient = gradient.get(rows);
            bestGradient = bestGradient.get(rows);
            ids = select(ids, kept);
            stepSize = select(stepSize, kept);
            bestLoss = select(bestLoss, kept);
            lastLoss = select(lastLoss, kept);
            bestLossAtCheck = select(bestLossAtCheck, kept);
            increases = select(increases, kept);
            reducedAtCheck = select(reducedAtCheck, kept);
        }
    }

    /** x + ε · t / ||t|| with t ~ U(-1, 1)^d (L∞) or N(0, I) (L2), in the model's box. */
    static NDArray randomStart(Norm norm, NDArray clean, float epsilon, long seed, Bounds box) {
        NDManager manager = clean.getManager();
        NDArray t = norm == Norm.LINF
                ? RandomNoise.uniform(manager, clean.getShape(), -1f, 1f, seed)
                : RandomNoise.gaussian(manager, clean.getShape(), seed);
        NDArray length = Norm.perSample(norm.of(t).add(1e-12f), t);
        return norm.project(clean.add(t.div(length).mul(epsilon)), clean, epsilon, box);
    }

    static void requireNorm(Norm norm, String attack) {
        Objects.requireNonNull(norm, "norm");
        if (norm != Norm.LINF && norm != Norm.L2) {
            throw new IllegalArgumentException(attack + " supports the linf and l2 norms, got "
                    + norm.id());
        }
    }

    static void requireRho(float rho) {
        if (!(rho > 0f && rho <= 1f)) {
            throw new IllegalArgumentException("rho must be in (0, 1], got " + rho);
        }
    }

    /** Fails before any work when the model has too few classes for the loss. */
    static void requireClasses(Classifier model, int minimum, String attack, String loss,
            String instead) {
        if (model.numClasses() < minimum) {
            throw new IllegalArgumentException(attack + " needs a model with at least " + minimum
                    + " classes (" + loss + " normalizes by the gaps between the sorted logits),"
                    + " but model '" + model.name() + "' has " + model.numClasses() + "; use "
                    + instead + " instead");
        }
    }

    /** A per-sample flag as a mask shaped like {@code like}. */
    private static NDArray mask(NDArray like, boolean[] flags) {
        return Norm.perSample(like.getManager().create(flags), like).broadcast(like.getShape());
    }

    private static long[] select(long[] values, long[] rows) {
        long[] out = new long[rows.length];
        for (int i = 0; i < rows.length; i++) {
            out[i] = values[Math.toIntExact(rows[i])];
        }
        return out;
    }

    private static float[] select(float[] values, long[] rows) {
        float[] out = new float[rows.length];
        for (int i = 0; i < rows.length; i++) {
            out[i] = values[Math.toIntExact(rows[i])];
        }
        return out;
    }

    private static int[] select(int[] values, long[] rows) {
        int[] out = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            out[i] = values[Math.toIntExact(rows[i])];
        }
        return out;
    }

    private static boolean[] select(boolean[] values, long[] rows) {
        boolean[] out = new boolean[rows.length];
        for (int i = 0; i < rows.length; i++) {
            out[i] = values[Math.toIntExact(rows[i])];
        }
        return out;
    }

    /** Builds {@link Apgd}; every option has a default. */
    public static final class Builder {
        private final Norm norm;
        private final float epsilon;
        private AttackLoss loss = AttackLoss.CE;
        private int steps = 100;
        private int restarts = 1;
        private float rho = 0.75f;
        private int eot = 1;
        private long seed;

        private Builder(Norm norm, float epsilon) {
            this.norm = norm;
            this.epsilon = epsilon;
        }

        /** The loss: CE (default, APGD-CE) or DLR (APGD-DLR). */
        public Builder optLoss(AttackLoss value) {
            loss = value;
            return this;
        }

        /** Iterations per restart; default 100. */
        public Builder optSteps(int value) {
            steps = value;
            return this;
        }

        /** Default 1 (AutoAttack "standard"; "plus" uses 5). */
        public Builder optRestarts(int value) {
            restarts = value;
            return this;
        }

        /** ρ of condition C1; default 0.75. */
        public Builder optRho(float value) {
            rho = value;
            return this;
        }

        /**
         * Gradient draws averaged per iterate (expectation over transformation); default 1, 20 for
         * randomized models (AutoAttack "rand").
         */
        public Builder optEot(int value) {
            eot = value;
            return this;
        }

        public Builder optSeed(long value) {
            seed = value;
            return this;
        }

        public Apgd build() {
            return new Apgd(norm, epsilon, loss, steps, restarts, rho, eot, seed);
        }
    }
}
