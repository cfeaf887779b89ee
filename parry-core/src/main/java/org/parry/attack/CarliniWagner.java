package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.parry.criterion.Criterion;
import org.parry.loss.CarliniWagnerLoss;
import org.parry.loss.LogitLoss;
import org.parry.model.Bounds;
import org.parry.model.Classifier;
import org.parry.model.LossGradient;
import org.parry.model.NoGradientClassifier;

/**
 * What the three Carlini-Wagner attacks ({@link CwL2}, {@link CwLinf}, {@link CwL0}; Carlini and
 * Wagner, IEEE S&amp;P 2017, arXiv:1608.04644) share: the run around a search, the tanh change of
 * variables that keeps every iterate in the model's box [l, u] (the paper's [0, 1], stretched),
 * the hinge objective f with confidence κ, the κ-shifted success test, Adam on the rows still
 * being optimized ({@link Descent}), the early abort on a stalled objective ({@link Stall}) and
 * the doubling schedule of c of the L∞ and L0 attacks ({@link ConstSchedule}).
 */
final class CarliniWagner {

    /** Keeps atanh finite at pixels on the box's faces (the reference's 0.999999 factor). */
    static final float BOX_SHRINK = 0.999999f;

    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float ADAM_EPSILON = 1e-8f;

    private CarliniWagner() {}

    /** A C&amp;W search: the adversarial points of a batch, attached to {@code scope}. */
    @FunctionalInterface
    interface Search {
        NDArray run(CountingClassifier model, NDArray x, NDArray labels, boolean targeted,
                NDManager scope);
    }

    /**
     * The run of every C&amp;W attack: checks the model and inputs, counts its passes, runs
     * {@code search} in a scope holding x and the int64 labels (or targets), and judges the
     * returned points, clipped into the box.
     */
    static AttackResult run(Attack attack, Classifier model, NDArray x, Criterion criterion,
            Search search) {
        NoGradientClassifier.requireGradients(model, attack.name());
        AttackResult.requireInputs(model, x, criterion);
        long start = System.nanoTime();
        CountingClassifier counted = new CountingClassifier(model);
        try (NDManager scope = x.getManager().newSubManager()) {
            scope.tempAttachAll(x);
            scope.tempAttachAll(criterion.arrays());
            NDArray labels = criterion.labels().toType(DataType.INT64, true);
            labels.attach(scope);
            NDArray adversarial = search.run(counted, x, labels, criterion.targeted(), scope);
            return AttackResult.unbounded(counted, x, adversarial, criterion, start);
        }
    }

    /** Validates the c schedule of {@link ConstSchedule}. */
    static void requireConstSchedule(float initialConst, float largestConst, float constFactor) {
        Require.positive("initialConst", initialConst);
        Require.positive("largestConst", largestConst);
        if (!(largestConst > initialConst)) {
            throw new IllegalArgumentException("largestConst must be > initialConst = "
                    + initialConst + ", got " + largestConst);
        }
        if (!(constFactor > 1f) || Float.isInfinite(constFactor)) {
            throw new IllegalArgumentException("constFactor must be > 1, got " + constFactor);
        }
    }

    /**
     * w = atanh((2 (x - l) / (u - l) - 1) · 0.999999), clamped so that inputs a hair outside the
     * box [l, u] stay finite. Computed as log((1 + y) / (1 - y)) / 2: DJL's PyTorch engine does
     * not implement atanh.
     */
    static NDArray toTanhSpace(NDArray x, Bounds box) {
        NDArray y = x.sub(box.lower()).div(box.range()).mul(2f).sub(1f).mul(BOX_SHRINK)
                .clip(-BOX_SHRINK, BOX_SHRINK);
        return y.add(1f).div(y.neg().add(1f)).log().mul(0.5f);
    }

    /** x' = l + (u - l) (tanh(w) + 1) / 2 from t = tanh(w); always in the box [l, u]. */
    static NDArray fromTanh(NDArray tanh, Bounds box) {
        return tanh.add(1f).mul(0.5f * box.range()).add(box.lower());
    }

    /** dx'/dw = (u - l) (1 - tanh²(w)) / 2 from t = tanh(w), element-wise. */
    static NDArray tanhDerivative(NDArray tanh, Bounds box) {
        return tanh.square().neg().add(1f).mul(0.5f * box.range());
    }

    /**
     * The per-sample objective term c · f(x') as a loss on logits, with the reference code's
     * hinge f = max(z_y - max_{j≠y} z_j + κ, 0) (untargeted) or max(max_{j≠t} z_j - z_t + κ, 0)
     * (targeted). The paper writes max(·, -κ); the two differ by the constant κ, have the same
     * gradient, and the reference's form stays >= 0, which the stopping tests rely on.
     *
     * @param constants [M] per-sample c, in the order of the batch
     */
    static LogitLoss hinge(NDArray constants, float confidence, boolean targeted) {
        // The uncapped margin, positive when adversarial:
        // z_t - max_{j≠t} z_j (targeted) or max_{j≠y} z_j - z_y.
        CarliniWagnerLoss margin = new CarliniWagnerLoss(Float.POSITIVE_INFINITY, targeted);
        return new LogitLoss() {
            @Override
            public NDArray perSample(NDArray logits, NDArray labels) {
                return margin.perSample(logits, labels).neg().add(confidence).maximum(0f)
                        .mul(constants);
            }

            @Override
            public String toString() {
                return "c * cw-hinge(kappa=" + confidence + ")";
            }
        };
    }

    /**
     * Per row, whether logits reach the goal with margin κ, as the reference's {@code compare}:
     * untargeted argmax(z + κ e_y) != y, targeted argmax(z - κ e_t) == t, the first maximum winning
     * ties as in PyTorch. With κ = 0 this is the criterion's own argmax test.
     *
     * @param logits [M, K] flattened
     * @param labels the label (or target) of each row
     */
    static boolean[] reached(float[] logits, int[] labels, float confidence, boolean targeted) {
        int rows = labels.length;
        int classes = logits.length / rows;
        float shift = targeted ? -confidence : confidence;
        boolean[] out = new boolean[rows];
        for (int j = 0; j < rows; j++) {
            int predicted = 0;
            float top = Float.NEGATIVE_INFINITY;
            for (int k = 0; k < classes; k++) {
                float z = logits[j * classes + k] + (k == labels[j] ? shift : 0f);
                if (z > top || k == 0) {
                    top = z;
                    predicted = k;
                }
            }
            out[j] = targeted == (predicted == labels[j]);
        }
        return out;
    }

    /** Per sample, whether x itself reaches the goal with margin κ (no search needed). */
    static boolean[] reachedAtStart(CountingClassifier model, NDArray x, int[] labels,
            float confidence, boolean targeted, NDManager scope) {
        try (NDManager step = scope.newSubManager()) {
            step.tempAttachAll(x);
            return reached(model.logits(x).toFloatArray(), labels, confidence, targeted);
        }
    }

    /**
     * One Adam step (Kingma and Ba 2015, PyTorch's form; β1 0.9, β2 0.999, ε 1e-8) on a batch of
     * rows, row j at its own step count {@code t[j]} (1-based). Every row takes the same
     * arithmetic whatever the other rows' counts, so that a sample's path does not depend on its
     * batch-mates.
     *
     * @return {w', m', v'}
     */
    static NDArray[] adam(NDArray w, NDArray gradient, NDArray m, NDArray v, int[] t,
            float learningRate) {
        NDArray nextM = m.mul(BETA1).add(gradient.mul(1f - BETA1));
        NDArray nextV = v.mul(BETA2).add(gradient.square().mul(1f - BETA2));
        float[] first = new float[t.length];
        float[] second = new float[t.length];
        for (int j = 0; j < t.length; j++) {
            first[j] = (float) (learningRate / (1 - Math.pow(BETA1, t[j])));
            second[j] = (float) (1 / (1 - Math.pow(BETA2, t[j])));
        }
        NDArray step = nextM.div(nextV.mul(rows(second, w)).sqrt().add(ADAM_EPSILON))
                .mul(rows(first, w));
        return new NDArray[] {w.sub(step), nextM, nextV};
    }

    /** A per-row value as an array broadcasting against {@code like} [M, ...], in its manager. */
    static NDArray rows(float[] values, NDArray like) {
        long[] dims = new long[like.getShape().dimension()];
        Arrays.fill(dims, 1);
        dims[0] = values.length;
        return like.getManager().create(values, new Shape(dims)).toType(like.getDataType(), false);
    }

    /** Per-row sum over every axis but the first, [M]. */
    static NDArray sumPerRow(NDArray a) {
        return a.reshape(a.getShape().get(0), -1).sum(new int[] {1});
    }

    /** Per-row maximum over every axis but the first, [M]. */
    static NDArray maxPerRow(NDArray a) {
        return a.reshape(a.getShape().get(0), -1).max(new int[] {1});
    }

    /** Writes {@code values} into rows {@code index} (int64 [R]) of {@code target}, in place. */
    static void setRows(NDArray target, NDArray index, NDArray values) {
        target.set(new NDIndex("{}", index), values);
    }

    /** Copies rows {@code local} of {@code source} into rows {@code global} of {@code target}. */
    static void copyRows(NDArray target, long[] global, NDArray source, long[] local) {
        NDManager manager = source.getManager();
        setRows(target, manager.create(global), source.get(manager.create(local)));
    }

    /** Indices j with flags[j] == value. */
    static long[] where(boolean[] flags, boolean value) {
        return IterativeGradientAttack.positions(flags, value);
    }

    /** values[rows[j]] for each j. */
    static long[] pick(long[] values, long[] rows) {
        long[] out = new long[rows.length];
        for (int j = 0; j < rows.length; j++) {
            out[j] = values[Math.toIntExact(rows[j])];
        }
        return out;
    }

    /** values[positions[j]] for each j, as float. */
    static float[] pick(double[] values, long[] positions) {
        float[] out = new float[positions.length];
        for (int j = 0; j < positions.length; j++) {
            out[j] = (float) values[Math.toIntExact(positions[j])];
        }
        return out;
    }

    /** values[positions[j]] for each j. */
    static int[] pick(int[] values, long[] positions) {
        int[] out = new int[positions.length];
        for (int j = 0; j < positions.length; j++) {
            out[j] = values[Math.toIntExact(positions[j])];
        }
        return out;
    }

    /** The labels as Java ints. */
    static int[] labels(NDArray labels) {
        return labels.toType(DataType.INT32, true).toIntArray();
    }

    /**
     * The early abort of the reference's L2 attack, per sample: at every {@code steps/10}-th
     * iteration of a phase (the first included), a sample whose objective has not fallen below
     * 0.9999 times its value at the previous check has stalled.
     */
    static final class Stall {
        private final double[] checkpoint;
        private final int every;

        Stall(int samples, int steps) {
            checkpoint = new double[samples];
            Arrays.fill(checkpoint, Double.POSITIVE_INFINITY);
            every = Math.max(1, steps / 10);
        }

        /** Whether sample i has stalled at iteration {@code iteration} (0-based) of its phase. */
        boolean stalled(int i, int iteration, double objective) {
            if (iteration % every != 0) {
                return false;
            }
            if (objective > checkpoint[i] * 0.9999) {
                return true;
            }
            checkpoint[i] = objective;
            return false;
        }

        /** Starts a new phase for sample i. */
        void reset(int i) {
            checkpoint[i] = Double.POSITIVE_INFINITY;
        }
    }

    /**
     * The c of each sample in {@link CwLinf} and {@link CwL0}: a problem gets at most
     * {@code steps} Adam iterations at one c (with {@code abortEarly}, fewer once its objective
     * stalls), then c ← constFactor · c; once c reaches {@code largestConst} the sample has failed.
     * A solution keeps c for the sample's next problem.
     */
    static final class ConstSchedule {
        private final double[] c;
        private final int[] iterations;
        private final Stall stall;
        private final int steps;
        private final float constFactor;
        private final float largestConst;

        ConstSchedule(int samples, float initialConst, float largestConst, float constFactor,
                int steps, boolean abortEarly) {
            c = new double[samples];
            Arrays.fill(c, initialConst);
            iterations = new int[samples];
            stall = abortEarly ? new Stall(samples, steps) : null;
            this.steps = steps;
            this.constFactor = constFactor;
            this.largestConst = largestConst;
        }

        /** c of the samples at {@code positions}. */
        float[] constants(long[] positions) {
            return pick(c, positions);
        }

        /** Sample i solved its problem: the next one starts at the same c. */
        void solved(int i) {
            restart(i);
        }

        /**
         * Sample i's iterate did not solve its problem; returns whether the sample has failed
         * (c reached {@code largestConst}).
         */
        boolean unsolved(int i, double objective) {
            boolean stalled = stall != null && stall.stalled(i, iterations[i], objective);
            if (stalled || ++iterations[i] == steps) {
                restart(i);
                c[i] *= constFactor;
                return c[i] >= largestConst;
            }
            return false;
        }

        private void restart(int i) {
            iterations[i] = 0;
            if (stall != null) {
                stall.reset(i);
            }
        }
    }

    /**
     * One evaluation of every active row of a {@link Descent}, in the step's manager: the point x',
     * x' - x, the gradient of c · f with respect to x', the hinge values c · f and the κ-shifted
     * success test.
     */
    record Iterate(NDArray candidate, NDArray delta, NDArray gradient, float[] hinge,
            boolean[] reached, NDArray w, NDArray tanh) {}

    /**
     * Adam in the tanh variables for the samples of a batch still being optimized: row j of every
     * array belongs to sample {@code positions()[j]} and has its own Adam step count. Every row
     * starts at w_0 = {@link #toTanhSpace}(x) with fresh moments. With a mask (1 = may change,
     * broadcasting against x), x' = mask · {@link #fromTanh}(tanh(w)) + (1 - mask) · x. The arrays
     * live in the owner's manager; an iteration is {@link #evaluate} then {@link #step} (and, for
     * rows that start a new problem, {@link #restart}) in one step manager, then {@link #drop}.
     */
    static final class Descent {
        private static final int CLEAN = 0;
        private static final int LABELS = 1;
        private static final int W = 2;
        private static final int M = 3;
        private static final int V = 4;
        private static final int MASK = 5;

        private final NDManager owner;
        private final Bounds box;
        private final NDArray[] arrays;
        private long[] positions;
        private int[] labelOf;
        private int[] t;

        /**
         * @param box the model's box, which the tanh variables map onto
         * @param labels int64 labels (or targets), one per sample
         * @param labelOf the same as Java ints
         * @param mask the first mask, or null for none
         */
        Descent(NDManager owner, NDArray x, Bounds box, NDArray labels, int[] labelOf,
                NDArray mask) {
            this.owner = owner;
            this.box = box;
            arrays = new NDArray[mask == null ? MASK : MASK + 1];
            try (NDManager scratch = owner.newSubManager()) {
                NDArray clean = x.duplicate();
                clean.attach(scratch);
                NDArray w0 = toTanhSpace(clean, box);
                NDArray zeros = w0.zerosLike();
                NDArray[] start = {x, labels, w0, zeros, zeros, mask};
                for (int k = 0; k < arrays.length; k++) {
                    arrays[k] = start[k].duplicate();
                    arrays[k].attach(owner);
                }
            }
            int n = labelOf.length;
            positions = new long[n];
            Arrays.setAll(positions, i -> i);
            this.labelOf = labelOf.clone();
            t = new int[n];
        }

        /** The samples of the active rows, in row order. */
        long[] positions() {
            return positions;
        }

        int size() {
            return positions.length;
        }

        /** The mask of the active rows (usable in the current step). */
        NDArray mask() {
            return arrays[MASK];
        }

        /** The current point of every active row through the model, with hinge constants c. */
        Iterate evaluate(CountingClassifier model, float[] constants, float confidence,
                boolean targeted, NDManager step) {
            NDArray clean = arrays[CLEAN];
            NDArray targets = arrays[LABELS];
            step.tempAttachAll(clean, targets);
            NDArray w = take(W, step);
            NDArray tanh = w.tanh();
            NDArray candidate = fromTanh(tanh, box);
            if (arrays.length > MASK) {
                NDArray mask = arrays[MASK];
                step.tempAttachAll(mask);
                candidate = candidate.mul(mask).add(clean.mul(mask.neg().add(1f)));
            }
            LossGradient pass = model.lossGradient(candidate, targets,
                    hinge(step.create(constants), confidence, targeted));
            boolean[] reached = CarliniWagner.reached(pass.logits().toFloatArray(), labelOf,
                    confidence, targeted);
            return new Iterate(candidate, candidate.sub(clean), pass.gradient(),
                    pass.loss().toFloatArray(), reached, w, tanh);
        }

        /**
         * One Adam step along {@code gradient}, the objective's gradient with respect to x',
         * chained through the mask and dx'/dw.
         */
        void step(Iterate iterate, NDArray gradient, float learningRate, NDManager step) {
            NDArray chained = arrays.length > MASK ? gradient.mul(arrays[MASK]) : gradient;
            chained = chained.mul(tanhDerivative(iterate.tanh(), box));
            int[] next = new int[t.length];
            Arrays.setAll(next, j -> t[j] + 1);
            NDArray[] updated = adam(iterate.w(), chained, take(M, step), take(V, step), next,
                    learningRate);
            for (int k = 0; k < updated.length; k++) {
                put(W + k, updated[k]);
            }
            t = next;
        }

        /**
         * Restarts active rows {@code rows} at {@code points} (in x space), after {@link #step}:
         * w = {@link #toTanhSpace}(point), fresh moments.
         */
        void restart(long[] rows, NDArray points, NDManager step) {
            step.tempAttachAll(arrays[W], arrays[M], arrays[V]);
            NDArray index = step.create(rows);
            setRows(arrays[W], index, toTanhSpace(points, box));
            setRows(arrays[M], index, points.zerosLike());
            setRows(arrays[V], index, points.zerosLike());
            for (long j : rows) {
                t[Math.toIntExact(j)] = 0;
            }
        }

        /** Drops the rows of samples whose flag in {@code finished} (one per sample) is set. */
        void drop(boolean[] finished) {
            boolean[] stay = new boolean[positions.length];
            for (int j = 0; j < stay.length; j++) {
                stay[j] = !finished[Math.toIntExact(positions[j])];
            }
            long[] rows = where(stay, true);
            if (rows.length == positions.length) {
                return;
            }
            positions = pick(positions, rows);
            labelOf = pick(labelOf, rows);
            t = pick(t, rows);
            if (rows.length == 0) {
                return;
            }
            try (NDManager scratch = owner.newSubManager()) {
                NDArray index = scratch.create(rows);
                for (int k = 0; k < arrays.length; k++) {
                    NDArray kept = arrays[k].get(index);
                    kept.attach(owner);
                    arrays[k].close();
                    arrays[k] = kept;
                }
            }
        }

        /** Array k, moved into {@code step}'s manager (it dies with the step). */
        private NDArray take(int k, NDManager step) {
            arrays[k].attach(step);
            return arrays[k];
        }

        /** Stores {@code next} as array k, moved to the owner. */
        private void put(int k, NDArray next) {
            next.attach(owner);
            arrays[k] = next;
        }
    }
}
