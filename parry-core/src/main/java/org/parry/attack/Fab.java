package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.stream.IntStream;
import org.parry.criterion.Criterion;
import org.parry.loss.LogitLoss;
import org.parry.model.Classifier;
import org.parry.model.LossGradient;
import org.parry.model.NoGradientClassifier;
import org.parry.norm.Norm;
import org.parry.norm.RandomNoise;

/**
 * FAB, the fast adaptive boundary attack (Croce and Hein, "Minimally distorted adversarial examples
 * with a fast adaptive boundary attack", ICML 2020, arXiv:1907.02044; code fra31/auto-attack
 * {@code fab_base.py}, {@code fab_projections.py}), and FAB-T, its targeted variant of AutoAttack
 * (Croce and Hein, ICML 2020, arXiv:2003.01690). A minimum-norm attack in L∞ or L2 (dual norm
 * q = 1 or 2). At each iteration, with x the clean input, y its label and x_k the iterate:
 * <pre>
 *   f_l = z_l(x_k) - z_y(x_k),   g_l = ∇ f_l(x_k)                       (l ≠ y)
 *   s   = argmin_{l ≠ y} |f_l| / ||g_l||_q                           (FAB: K - 1 gradients)
 *   s   = t, the class with the r-th largest clean logit              (FAB-T: one gradient)
 *   π   = {u : f_s + g_s · (u - x_k) = 0} ∩ [l, u]^d,   P = the exact Lp projection onto π
 *   d_k = P(x_k) - x_k,   d_0 = P(x) - x
 *   α   = min(||d_k|| / (||d_k|| + ||d_0||), α_max)
 *   x_{k+1} = clip((1 - α)(x_k + η d_k) + α (x + η d_0), l, u)
 * </pre>
 * When x_{k+1} is misclassified it is kept if it is the closest to x found so far, and the iterate
 * steps back: x_{k+1} ← x + β (x_{k+1} - x). Restarts after the first begin at
 * x + 0.5 · min(best, ε) · t / ||t||, t ~ U(-1, 1)^d (L∞) or N(0, I) (L2), clipped. FAB-T runs
 * {@code restarts} runs for each target r = 2 .. targets + 1 (capped at K - 1), the first without
 * a random start. Defaults (paper and AutoAttack): 100 steps, α_max = 0.1, η = 1.05, β = 0.9,
 * 1 restart, 9 targets. The projections are {@link FabProjections}.
 *
 * <p>Two uses. Minimum norm (ε = NaN, the default): every run attacks every sample the model
 * classifies correctly, and the result is the closest misclassified point found (the clean point
 * when none is). Bounded (AutoAttack's use, ε given): success means a misclassified point within
 * ε; a sample leaves the batch as soon as it has one, later runs attack only the others, and a
 * sample never broken within ε returns its clean input.
 *
 * <p>Parry's deviations: in bounded mode a sample stops at its first misclassified iterate within
 * ε (the reference keeps shrinking it until the run ends; success at ε is the same, the returned
 * point may be farther from x); restarts in minimum-norm mode keep the best norm of earlier runs
 * (AutoAttack's restarts start afresh, at radius 0.5 ε), with ε = 0.3 (L∞) or 1.0 (L2), the
 * reference's defaults, capping the radius; FAB-T's targets come from the clean logits of the whole
 * batch, computed once (the reference recomputes them per run, which gives the same classes for a
 * deterministic model); the L1 version and a given target class (the criterion must be a {@link
 * org.parry.criterion.Misclassification}) are not implemented; the random draws come from the
 * attack's seed, on the Java side; with several restarts, every target's first run comes before
 * any target's second. FAB-T runs several targets at once, as one batch of (sample, target) rows,
 * as many targets as fit in a pass of {@value #MAX_PASS} images (all 9 for up to 28 samples, one at a
 * time from 129): a sample leaves with all its rows as soon as one of them breaks it within ε, so
 * it is broken exactly when one target's run, taken alone, would break it, as in the reference's
 * targets-in-turn, while a few samples still make batches large enough to keep the cores busy.
 * Each iteration costs K - 1 gradients (FAB) or 1 (FAB-T) and one forward pass for each row still
 * attacked, and runs in its own NDManager. FAB takes the K - 1
 * gradients of a step together, each iterate repeated once per candidate class, in passes of at
 * most max(m, 256) images for m samples (the reference runs one forward and K backward passes).
 * Not thread-safe.
 *
 * @param norm {@link Norm#LINF} or {@link Norm#L2}
 * @param epsilon the budget of bounded use, or NaN for minimum-norm use
 * @param targeted FAB-T (a ranked clean class per run) rather than FAB (the closest boundary)
 * @param targets FAB-T's number of target classes, capped at K - 1 (ignored by FAB)
 * @param steps iterations per run
 * @param restarts runs per target (FAB: runs), the first without a random start
 * @param alphaMax α_max, the largest weight of the projection of x in the step
 * @param eta η, the overshoot of the projections
 * @param beta β, the backward step toward x after a success
 * @param seed the random starts' seed
 */
public record Fab(Norm norm, float epsilon, boolean targeted, int targets, int steps, int restarts,
        float alphaMax, float eta, float beta, long seed) implements Attack {

    /** Guards the boundary distances |f| / ||g||_q against a zero gradient (as the reference). */
    private static final float TINY = 1e-12f;
    /** Images per gradient pass when FAB stacks the candidate boundaries of small batches. */
    static final int MAX_PASS = 256;
    /** The smallest ||d|| in α (as the reference), so that α is defined when both are 0. */
    private static final float MIN_STEP = 1e-8f;

    public Fab {
        Objects.requireNonNull(norm, "norm");
        if (norm != Norm.LINF && norm != Norm.L2) {
            throw new IllegalArgumentException((targeted ? "fab-t" : "fab")
                    + " supports the linf and l2 norms, got " + norm.id());
        }
        if (!Float.isNaN(epsilon)) {
            Require.epsilon(norm, epsilon);
        }
        Require.atLeast("targets", targets, 1);
        Require.atLeast("steps", steps, 1);
        Require.atLeast("restarts", restarts, 1);
        if (!(alphaMax >= 0f && alphaMax <= 1f)) {
            throw new IllegalArgumentException("alphaMax must be in [0, 1], got " + alphaMax);
        }
        if (!(eta >= 1f) || Float.isInfinite(eta)) {
            throw new IllegalArgumentException("eta (the overshoot) must be a finite number >= 1, got " + eta);
        }
        if (!(beta > 0f && beta < 1f)) {
            throw new IllegalArgumentException("beta (the backward step) must be in (0, 1), got " + beta);
        }
    }

    /** A builder with the defaults above: FAB, minimum-norm. */
    public static Builder builder(Norm norm) {
        return new Builder(norm);
    }

    /** FAB with the paper's defaults, minimum-norm. */
    public static Fab minimumNorm(Norm norm) {
        return builder(norm).build();
    }

    /** AutoAttack's FAB-T at ε: 9 targets, 1 run each, 100 steps. */
    public static Fab autoAttack(Norm norm, float epsilon) {
        return builder(norm).optEpsilon(epsilon).optTargeted(true).build();
    }

    /** Whether an ε budget is set. */
    public boolean bounded() {
        return !Float.isNaN(epsilon);
    }

    @Override
    public String name() {
        return targeted ? "fab-t" : "fab";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("norm", norm.id());
        if (bounded()) {
            settings.put("epsilon", epsilon);
        }
        settings.put("steps", steps);
        settings.put("restarts", restarts);
        if (targeted) {
            settings.put("targets", targets);
        }
        settings.put("alphaMax", alphaMax);
        settings.put("eta", eta);
        settings.put("beta", beta);
        settings.put("seed", seed);
        return settings;
    }

    @Override
    public AttackResult run(Classifier model, NDArray x, Criterion criterion) {
        NoGradientClassifier.requireGradients(model, name());
        AttackResult.requireInputs(model, x, criterion);
        if (criterion.targeted()) {
            throw new IllegalArgumentException(name() + " counts any misclassification as success"
                    + (targeted ? " and chooses its own targets" : "") + ": pass a Misclassification"
                    + " criterion, or use pgd, apgd-ce or cw-l2 for a given target class");
        }
        long start = System.nanoTime();
        CountingClassifier counted = new CountingClassifier(model);
        int classes = model.numClasses();
        try (NDManager scope = x.getManager().newSubManager()) {
            NDList owned = new NDList(x);
            owned.addAll(criterion.arrays());
            scope.tempAttachAll(distinct(owned).toArray(new NDArray[0]));
            Search search = new Search(counted, x, criterion);
            int lastRank = targeted ? Math.min(targets, classes - 1) + 1 : 2;
            long run = 0;
            for (int restart = 0; restart < restarts; restart++) {
                for (int rank = 2; rank <= lastRank; run++) {
                    long[] rows = search.remaining();
                    if (rows.length == 0) {
                        break;
                    }
                    int wave = targeted ? wave(rows.length, lastRank - rank + 1) : 1;
                    search.run(rows, rank, wave, restart > 0, seed + 7919L * run);
                    rank += wave;
                }
            }
            NDArray adversarial = search.finish();
            return bounded()
                    ? AttackResult.bounded(counted, x, adversarial, criterion, norm, epsilon, start)
                    : AttackResult.unbounded(counted, x, adversarial, criterion, start);
        }
    }

    /**
     * How many of the {@code left} remaining FAB-T targets run together on {@code samples} samples:
     * as many as fit in a pass of {@value #MAX_PASS} images, at least one.
     */
    public static int wave(int samples, int left) {
        return Math.max(1, Math.min(left, MAX_PASS / samples));
    }

    /** The largest radius of a random start: ε, or the reference's default ε in minimum-norm use. */
    private float startRadius() {
        return bounded() ? epsilon : norm == Norm.LINF ? 0.3f : 1f;
    }

    /** The outcome of the runs on one batch: the closest misclassified point and its norm, per sample. */
    private final class Search {
        private final CountingClassifier model;
        private final NDArray x;
        private final Criterion criterion;
        private final NDArray cleanLogits;
        private final NDArray adversarial;
        /** Per sample, misclassified at the clean input (never attacked). */
        private final boolean[] clean;
        /** Per sample, the norm of the closest misclassified point found, +∞ before any. */
        private final float[] best;
        /** FAB-T: per sample, the classes by decreasing clean logit, flat [N, K]; null for FAB. */
        private final long[] ranking;

        /** Evaluates the clean batch; x's manager must be the attack's scope. */
        Search(CountingClassifier model, NDArray x, Criterion criterion) {
            this.model = model;
            this.x = x;
            this.criterion = criterion;
            this.cleanLogits = model.logits(x);
            this.adversarial = x.duplicate();
            this.clean = criterion.isAdversarial(cleanLogits).toBooleanArray();
            this.best = new float[clean.length];
            Arrays.fill(best, Float.POSITIVE_INFINITY);
            this.ranking = targeted
                    ? cleanLogits.argSort(1, false).toType(DataType.INT64, false).toLongArray()
                    : null;
        }

        /** The samples the next run attacks: correct at x and, when bounded, not yet broken within ε. */
        long[] remaining() {
            boolean[] done = new boolean[clean.length];
            for (int i = 0; i < done.length; i++) {
                done[i] = clean[i] || (bounded() && best[i] <= epsilon);
            }
            return IterativeGradientAttack.positions(done, false);
        }

        /** The chosen points; in bounded use, points found only beyond ε fall back to x. */
        NDArray finish() {
            if (bounded()) {
                boolean[] beyond = new boolean[best.length];
                for (int i = 0; i < best.length; i++) {
                    beyond[i] = best[i] > epsilon && best[i] < Float.POSITIVE_INFINITY;
                }
                long[] rows = IterativeGradientAttack.positions(beyond, true);
                if (rows.length > 0) {
                    NDArray index = x.getManager().create(rows);
                    adversarial.set(new NDIndex("{}", index), x.get(index));
                }
            }
            return adversarial;
        }

        /**
         * One run of {@code steps} iterations on the samples at {@code rows}: FAB's, or FAB-T's
         * toward the classes of clean ranks {@code firstRank} .. {@code firstRank + ranks - 1}, all
         * at once (row r · m + j of the run attacks sample {@code rows[j]} toward rank
         * {@code firstRank + r}; a sample leaves with all its rows once one of them breaks it).
         */
        void run(long[] rows, int firstRank, int ranks, boolean randomStart, long runSeed) {
            try (NDManager scope = x.getManager().newSubManager()) {
                int m = rows.length;
                State state = new State();
                state.ids = new long[Math.multiplyExact(m, ranks)];
                for (int r = 0; r < ranks; r++) {
                    System.arraycopy(rows, 0, state.ids, r * m, m);
                }
                state.positions = scope.create(state.ids);
                state.clean = x.get(state.positions);
                state.criterion = criterion.subset(state.positions);
                state.boundaries = targeted
                        ? scope.create(targetClasses(state.ids, firstRank, m), new Shape(state.size(), 1))
                        : others(scope, state.criterion.labels(), model.numClasses());
                state.iterate = state.clean;
                state.arrays().attach(scope);
                if (randomStart) {
                    state.iterate = start(state, runSeed);
                }
                for (int i = 0; i < steps && state.size() > 0; i++) {
                    try (NDManager step = scope.newSubManager()) {
                        state.arrays().attach(step);
                        iterate(state);
                        state.arrays().attach(scope);
                    }
                }
            }
        }

        /** Per row, the class of clean rank firstRank + row / m of the row's sample. */
        private long[] targetClasses(long[] ids, int firstRank, int m) {
            int classes = model.numClasses();
            long[] out = new long[ids.length];
            for (int j = 0; j < ids.length; j++) {
                out[j] = ranking[Math.toIntExact(ids[j]) * classes + firstRank - 1 + j / m];
            }
            return out;
        }

        /** x + 0.5 · min(best, ε) · t / ||t||, clipped to the model's box. */
        private NDArray start(State state, long runSeed) {
            NDManager manager = state.clean.getManager();
            Shape shape = state.clean.getShape();
            NDArray t = norm == Norm.LINF
                    ? RandomNoise.uniform(manager, shape, -1f, 1f, runSeed)
                    : RandomNoise.gaussian(manager, shape, runSeed);
            float[] radius = new float[state.size()];
            for (int j = 0; j < radius.length; j++) {
                radius[j] = 0.5f * Math.min(best[Math.toIntExact(state.ids[j])], startRadius());
            }
            NDArray scale = Norm.perSample(manager.create(radius).div(norm.of(t).add(TINY)), t);
            return model.bounds().clip(state.clean.add(t.mul(scale)));
        }

        /** One FAB iteration on the samples still attacked. */
        private void iterate(State state) {
            int m = state.size();
            NDArray iterate = state.iterate;
            NDList boundary = closestBoundary(state);
            NDArray value = boundary.get(0);
            NDArray w = boundary.get(1);
            NDArray current = iterate.reshape(m, -1);
            NDArray origin = state.clean.reshape(m, -1);
            // ℓ(u) = f_s + g_s · (u - x_k): its value is f_s at x_k, f_s + g_s · (x - x_k) at x.
            NDArray atOrigin = value.add(w.mul(origin.sub(current)).sum(new int[] {1}));
            NDArray moves = FabProjections.displacement(norm, model.bounds(),
                    NDArrays.concat(new NDList(current, origin)), NDArrays.concat(new NDList(w, w)),
                    NDArrays.concat(new NDList(value, atOrigin)));
            NDArray fromIterate = moves.get(new NDIndex("0:{}", m)).reshape(iterate.getShape());
            NDArray fromOrigin = moves.get(new NDIndex("{}:", m)).reshape(iterate.getShape());
            NDArray a1 = norm.of(fromIterate).maximum(MIN_STEP);
            NDArray a2 = norm.of(fromOrigin).maximum(MIN_STEP);
            NDArray alpha = Norm.perSample(a1.div(a1.add(a2)).minimum(alphaMax), iterate);
            NDArray next = model.bounds().clip(iterate.add(fromIterate.mul(eta))
                    .mul(alpha.neg().add(1f)).add(state.clean.add(fromOrigin.mul(eta)).mul(alpha)));
            boolean[] hit = state.criterion.isAdversarial(model.logits(next)).toBooleanArray();
            float[] distance = norm.distance(next, state.clean).toFloatArray();
            // Several rows may attack one sample (FAB-T's targets): the closest hit of the step wins.
            int[] closest = new int[best.length];
            Arrays.fill(closest, -1);
            for (int j = 0; j < m; j++) {
                int id = Math.toIntExact(state.ids[j]);
                if (hit[j] && distance[j] < best[id]) {
                    best[id] = distance[j];
                    closest[id] = j;
                }
            }
            long[] samples = IntStream.range(0, best.length).filter(id -> closest[id] >= 0)
                    .asLongStream().toArray();
            if (samples.length > 0) {
                long[] rows = Arrays.stream(samples).map(id -> closest[(int) id]).toArray();
                NDManager manager = next.getManager();
                adversarial.set(new NDIndex("{}", manager.create(samples)),
                        next.get(manager.create(rows)));
            }
            boolean[] done = new boolean[m];
            for (int j = 0; j < m; j++) {
                done[j] = bounded() && best[Math.toIntExact(state.ids[j])] <= epsilon;
            }
            NDArray back = state.clean.add(next.sub(state.clean).mul(beta));
            state.iterate = NDArrays.where(mask(next, hit), back, next);
            long[] open = IterativeGradientAttack.positions(done, false);
            if (open.length < m) {
                state.keep(open, next.getManager());
            }
        }

        /**
         * The boundary FAB linearizes at the iterate: of the candidate classes l, the one with the
         * smallest |f_l| / ||g_l||_q. The candidates' gradients are taken together, the iterates
         * repeated once per candidate, in passes of at most max(m, {@value #MAX_PASS}) images.
         *
         * @return f_s [m] and g_s flattened [m, d]
         */
        private NDList closestBoundary(State state) {
            int m = state.size();
            long candidates = state.boundaries.getShape().get(1);
            if (candidates == 1) { // FAB-T, or a two-class FAB: the boundary needs no choosing
                LossGradient pass = model.lossGradient(state.iterate, state.criterion.labels(),
                        gap(state.boundaries.reshape(-1)));
                return new NDList(pass.loss(), pass.gradient().reshape(m, -1));
            }
            int perPass = (int) Math.max(1, Math.min(candidates, MAX_PASS / m));
            NDArray value = null;
            NDArray normal = null;
            NDArray closest = null;
            for (long from = 0; from < candidates; from += perPass) {
                long count = Math.min(perPass, candidates - from);
                NDArray others = state.boundaries.get(new NDIndex(":, {}:{}", from, from + count))
                        .transpose().reshape(-1);
                NDArray inputs = repeat(state.iterate, count);
                NDArray labels = repeat(state.criterion.labels(), count);
                LossGradient pass = model.lossGradient(inputs, labels, gap(others));
                NDArray f = pass.loss().reshape(count, m);
                NDArray g = pass.gradient().reshape(count, m, -1);
                NDArray distance = f.abs().div(dualNorm(g).add(TINY));
                NDArray pick = count == 1 ? null : distance.argMin(0).oneHot(Math.toIntExact(count))
                        .transpose();
                NDArray bestDistance = count == 1 ? distance.reshape(m) : distance.min(new int[] {0});
                NDArray bestValue = count == 1 ? f.reshape(m) : f.mul(pick).sum(new int[] {0});
                NDArray bestNormal = count == 1 ? g.reshape(m, -1)
                        : g.mul(pick.expandDims(2)).sum(new int[] {0});
                if (closest == null) {
                    closest = bestDistance;
                    value = bestValue;
                    normal = bestNormal;
                } else {
                    NDArray closer = bestDistance.lt(closest);
                    closest = NDArrays.where(closer, bestDistance, closest);
                    value = NDArrays.where(closer, bestValue, value);
                    normal = NDArrays.where(closer.expandDims(1).broadcast(normal.getShape()),
                            bestNormal, normal);
                }
            }
            return new NDList(value, normal);
        }

        /** ||g||_q over the last axis, q the dual of the attack's norm. */
        private NDArray dualNorm(NDArray gradients) {
            int last = gradients.getShape().dimension() - 1;
            return norm == Norm.LINF ? gradients.abs().sum(new int[] {last})
                    : gradients.square().sum(new int[] {last}).sqrt();
        }
    }

    /** The samples one run still attacks, and their iterates. */
    private static final class State {
        long[] ids;
        NDArray positions;
        NDArray clean;
        Criterion criterion;
        /** [m, b]: the classes l whose boundary f_l = z_l - z_y is linearized (K - 1 for FAB, the target for FAB-T). */
        NDArray boundaries;
        NDArray iterate;

        int size() {
            return ids.length;
        }

        NDList arrays() {
            NDList list = new NDList(positions, clean, boundaries, iterate);
            list.addAll(criterion.arrays());
            return distinct(list);
        }

        void keep(long[] kept, NDManager manager) {
            NDArray rows = manager.create(kept);
            positions = positions.get(rows);
            clean = clean.get(rows);
            criterion = criterion.subset(rows);
            boundaries = boundaries.get(rows);
            iterate = iterate.get(rows);
            long[] ids = new long[kept.length];
            for (int i = 0; i < kept.length; i++) {
                ids[i] = this.ids[Math.toIntExact(kept[i])];
            }
            this.ids = ids;
        }
    }

    /** The per-sample loss f = z_other - z_label, whose input gradient is g. */
    private static LogitLoss gap(NDArray other) {
        return (logits, labels) -> select(logits, other).sub(select(logits, labels));
    }

    private static NDArray select(NDArray logits, NDArray classes) {
        return logits.gather(classes.toType(DataType.INT64, false).reshape(-1, 1), 1).reshape(-1);
    }

    /** For each label, the K - 1 other classes in increasing order, int64 [m, K - 1]. */
    private static NDArray others(NDManager manager, NDArray labels, int classes) {
        long[] label = labels.toType(DataType.INT64, false).toLongArray();
        long[] out = new long[label.length * (classes - 1)];
        for (int i = 0; i < label.length; i++) {
            int filled = 0;
            for (int k = 0; k < classes; k++) {
                if (k != label[i]) {
                    out[i * (classes - 1) + filled++] = k;
                }
            }
        }
        return manager.create(out, new Shape(label.length, classes - 1));
    }

    /** {@code count} copies of a batch, one after the other along the first axis. */
    private static NDArray repeat(NDArray batch, long count) {
        if (count == 1) {
            return batch;
        }
        NDList copies = new NDList();
        for (long i = 0; i < count; i++) {
            copies.add(batch);
        }
        return NDArrays.concat(copies);
    }

    /** The arrays without repeats, by identity (one array attached twice gets the wrong owner). */
    private static NDList distinct(NDList arrays) {
        NDList unique = new NDList();
        for (NDArray array : arrays) {
            if (unique.stream().noneMatch(seen -> seen == array)) {
                unique.add(array);
            }
        }
        return unique;
    }

    /** A per-sample flag as a mask shaped like {@code like}. */
    private static NDArray mask(NDArray like, boolean[] flags) {
        return Norm.perSample(like.getManager().create(flags), like).broadcast(like.getShape());
    }

    /** Builds {@link Fab}; every option has a default. */
    public static final class Builder {
        private final Norm norm;
        private float epsilon = Float.NaN;
        private boolean targeted;
        private int targets = 9;
        private int steps = 100;
        private int restarts = 1;
        private float alphaMax = 0.1f;
        private float eta = 1.05f;
        private float beta = 0.9f;
        private long seed;

        private Builder(Norm norm) {
            this.norm = norm;
        }

        /** The budget of bounded use; default NaN (minimum-norm use). */
        public Builder optEpsilon(float value) {
            epsilon = value;
            return this;
        }

        /** FAB-T rather than FAB; default false. */
        public Builder optTargeted(boolean value) {
            targeted = value;
            return this;
        }

        /** FAB-T's target classes (2nd .. (targets+1)-th largest clean logit); default 9, capped at K - 1. */
        public Builder optTargets(int value) {
            targets = value;
            return this;
        }

        /** Iterations per run; default 100. */
        public Builder optSteps(int value) {
            steps = value;
            return this;
        }

        /** Runs (FAB-T: per target), the first without a random start; default 1. */
        public Builder optRestarts(int value) {
            restarts = value;
            return this;
        }

        /** α_max; default 0.1. */
        public Builder optAlphaMax(float value) {
            alphaMax = value;
            return this;
        }

        /** η, the overshoot; default 1.05. */
        public Builder optEta(float value) {
            eta = value;
            return this;
        }

        /** β, the backward step; default 0.9. */
        public Builder optBeta(float value) {
            beta = value;
            return this;
        }

        public Builder optSeed(long value) {
            seed = value;
            return this;
        }

        public Fab build() {
            return new Fab(norm, epsilon, targeted, targets, steps, restarts, alphaMax, eta, beta, seed);
        }
    }
}
