package org.parry.eval;

import java.util.Arrays;
import org.parry.attack.AttackResult;

/**
 * The worst-case bookkeeping of the AutoAttack protocol at one ε: a sample starts robust if it is
 * clean-correct; the first attack that returns an adversarial point for it makes it non-robust and
 * that point is stored; later attacks never see it again, and nothing overwrites the stored point.
 */
public final class WorstCase {

    /** {@link #brokenBy} of a sample no attack has broken. */
    public static final int ROBUST = -1;
    /** {@link #brokenBy} of a sample the model already misclassifies. */
    public static final int CLEAN_ERROR = -2;

    private final int[] labels;
    private final int[] cleanPredictions;
    private final int[] brokenBy;
    private final int[] predictions;
    private final float[] l2;
    private final float[] linf;
    private final float[][] adversarial;

    public WorstCase(int[] labels, int[] cleanPredictions) {
        if (labels.length != cleanPredictions.length) {
            throw new IllegalArgumentException("labels and predictions differ in length");
        }
        this.labels = labels.clone();
        this.cleanPredictions = cleanPredictions.clone();
        int n = labels.length;
        brokenBy = new int[n];
        for (int i = 0; i < n; i++) {
            brokenBy[i] = labels[i] == cleanPredictions[i] ? ROBUST : CLEAN_ERROR;
        }
        predictions = cleanPredictions.clone();
        l2 = new float[n];
        linf = new float[n];
        adversarial = new float[n][];
    }

    /** Indices of the samples still robust, ascending. */
    public long[] stillRobust() {
        return Arrays.stream(indices(ROBUST)).asLongStream().toArray();
    }

    private int[] indices(int state) {
        return java.util.stream.IntStream.range(0, brokenBy.length)
                .filter(i -> brokenBy[i] == state).toArray();
    }

    /**
     * Records an attack's result on the samples at {@code indices} (row i of the result is sample
     * indices[i]). Successes on samples already broken are ignored.
     *
     * @return the number of samples this call broke
     */
    public int record(int attack, long[] indices, AttackResult result) {
        int pixels = result.adversarial().length / Math.max(result.size(), 1);
        int newlyBroken = 0;
        for (int row = 0; row < indices.length; row++) {
            int i = Math.toIntExact(indices[row]);
            if (result.success()[row] && brokenBy[i] == ROBUST) {
                brokenBy[i] = attack;
                predictions[i] = result.predictions()[row];
                l2[i] = result.l2()[row];
                linf[i] = result.linf()[row];
                adversarial[i] = Arrays.copyOfRange(result.adversarial(), row * pixels, (row + 1) * pixels);
                newlyBroken++;
            }
        }
        return newlyBroken;
    }

    public int size() {
        return labels.length;
    }

    /** Samples clean-correct and never broken. */
    public int robustCount() {
        return indices(ROBUST).length;
    }

    public int cleanCorrectCount() {
        return labels.length - indices(CLEAN_ERROR).length;
    }

    /** The attack index that broke sample i, {@link #ROBUST} or {@link #CLEAN_ERROR}. */
    public int brokenBy(int i) {
        return brokenBy[i];
    }

    /** The prediction at sample i's worst-case point (the clean prediction if unbroken). */
    public int prediction(int i) {
        return predictions[i];
    }

    public int label(int i) {
        return labels[i];
    }

    public int cleanPrediction(int i) {
        return cleanPredictions[i];
    }

    /** The stored adversarial of sample i (null unless an attack broke it). */
    public float[] adversarial(int i) {
        return adversarial[i] == null ? null : adversarial[i].clone();
    }

    public float l2(int i) {
        return l2[i];
    }

    public float linf(int i) {
        return linf[i];
    }
}
