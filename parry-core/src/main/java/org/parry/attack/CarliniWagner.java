package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.parry.loss.CarliniWagnerLoss;
import org.parry.loss.LogitLoss;

/**
 * What the three Carlini-Wagner attacks ({@link CwL2}, {@link CwLinf}, {@link CwL0}) share: the
 * tanh change of variables that keeps every iterate in the box, the hinge objective f with
 * confidence κ, the κ-shifted success test, an Adam step in which every sample may have its own
 * step count, and the bookkeeping of the rows still being optimized.
 */
final class CarliniWagner {

    /** Keeps atanh finite at pixels equal to 0 or 1 (the reference's 0.999999 factor). */
    static final float BOX_SHRINK = 0.999999f;

    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float ADAM_EPSILON = 1e-8f;

    private CarliniWagner() {}

    /**
     * w = atanh((2x - 1) · 0.999999), clamped so that inputs a hair outside [0, 1] stay finite.
     * Computed as log((1 + y) / (1 - y)) / 2: DJL's PyTorch engine does not implement atanh.
     */
    static NDArray toTanhSpace(NDArray x) {
        NDArray y = x.mul(2f).sub(1f).mul(BOX_SHRINK).clip(-BOX_SHRINK, BOX_SHRINK);
        return y.add(1f).div(y.neg().add(1f)).log().mul(0.5f);
    }

    /** x' = (tanh(w) + 1) / 2 from t = tanh(w); always in [0, 1]. */
    static NDArray fromTanh(NDArray tanh) {
        return tanh.add(1f).mul(0.5f);
    }

    /** dx'/dw = (1 - tanh²(w)) / 2 from t = tanh(w), element-wise. */
    static NDArray tanhDerivative(NDArray tanh) {
        return tanh.square().neg().add(1f).mul(0.5f);
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
            first[j] = firstCorrection(t[j], learningRate);
            second[j] = secondCorrection(t[j]);
        }
        NDArray step = nextM.div(nextV.mul(rows(second, w)).sqrt().add(ADAM_EPSILON))
                .mul(rows(first, w));
        return new NDArray[] {w.sub(step), nextM, nextV};
    }

    private static float firstCorrection(int t, float learningRate) {
        return (float) (learningRate / (1 - Math.pow(BETA1, t)));
    }

    private static float secondCorrection(int t) {
        return (float) (1 / (1 - Math.pow(BETA2, t)));
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

    /** 0, 1, ..., n - 1. */
    static long[] range(int n) {
        long[] out = new long[n];
        Arrays.setAll(out, i -> i);
        return out;
    }

    /**
     * The rows of a batch still being optimized. Row j of every array belongs to sample
     * {@code positions[j]}; {@link #keep} drops rows. The arrays live in {@code owner}. A step
     * reads an array with {@link #get} (and temp-attaches it), or replaces it: {@link #take} moves
     * the current one into the step's manager, where it dies, and {@link #put} stores the next.
     */
    static final class Active {
        long[] positions;
        private final NDArray[] arrays;
        private final NDManager owner;

        /** Copies of {@code arrays}, one row per sample, attached to {@code owner}. */
        Active(NDManager owner, NDArray... arrays) {
            this.owner = owner;
            this.arrays = new NDArray[arrays.length];
            for (int k = 0; k < arrays.length; k++) {
                this.arrays[k] = arrays[k].duplicate();
                this.arrays[k].attach(owner);
            }
            this.positions = range(Math.toIntExact(arrays[0].getShape().get(0)));
        }

        int size() {
            return positions.length;
        }

        NDArray get(int k) {
            return arrays[k];
        }

        /** Array k, moved into {@code step}'s manager (it dies with the step). */
        NDArray take(int k, NDManager step) {
            arrays[k].attach(step);
            return arrays[k];
        }

        /** Stores {@code next} as array k, moved to the owner. */
        void put(int k, NDArray next) {
            next.attach(owner);
            arrays[k] = next;
        }

        /** Keeps the rows whose flag is true, in order. */
        void keep(boolean[] stay) {
            long[] rows = where(stay, true);
            if (rows.length == positions.length) {
                return;
            }
            positions = pick(positions, rows);
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
    }
}
