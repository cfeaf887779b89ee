package org.parry.eval;

import java.util.Arrays;
import java.util.function.IntPredicate;
import org.parry.attack.AttackResult;
import org.parry.data.ImageDataset;

/**
 * The per-sample outcome of a {@link DataSetAttack}, filled batch by batch, and the metrics of
 * section 14 of the methods note computed from it: clean accuracy, robust accuracy (clean-correct
 * and still correct at the adversarial point, over all samples), success rate with its
 * denominator (untargeted: clean-correct samples; targeted: samples whose label is not the
 * target), and perturbation statistics over the successes. The arrays it hands out are its own,
 * as {@link AttackResult}'s are: read them, do not change them.
 */
public final class AttackTally {

    private final DataSetAttack job;
    private final ImageDataset data;
    private final int imageSize;
    private final int[] labels;
    private final int[] targets;
    private final int[] cleanPredictions;
    private final int[] adversarialPredictions;
    private final boolean[] success;
    private final float[] l0;
    private final float[] l2;
    private final float[] linf;
    private final float[] confidence;
    private final float[] adversarial;
    private final float[] clean;
    private final float[] sampleQueries;
    private boolean queriesPerSample = true;
    private long gradients;
    private long queries;
    private double seconds;
    private int done;

    /**
     * @param targets the targets of a targeted attack (filled in per batch for least-likely
     *     targets), else null
     */
    AttackTally(DataSetAttack job, ImageDataset data, int[] targets) {
        int n = data.size();
        this.job = job;
        this.data = data;
        this.imageSize = Math.toIntExact(data.imageShape().size());
        this.labels = data.labels().clone();
        this.targets = targets;
        this.cleanPredictions = new int[n];
        this.adversarialPredictions = new int[n];
        this.success = new boolean[n];
        this.l0 = new float[n];
        this.l2 = new float[n];
        this.linf = new float[n];
        this.confidence = new float[n];
        this.sampleQueries = new float[n];
        this.adversarial = job.keepImages() ? new float[Math.multiplyExact(n, imageSize)] : null;
        this.clean = job.keepImages() ? new float[Math.multiplyExact(n, imageSize)] : null;
    }

    /**
     * Records one batch that starts at sample {@code from}.
     *
     * @param cleanPixels the batch's clean pixels, or null when images are not kept
     */
    void add(int from, AttackResult result, int[] cleanPrediction, float[] adversarialConfidence,
            float[] cleanPixels) {
        int n = result.size();
        System.arraycopy(cleanPrediction, 0, cleanPredictions, from, n);
        System.arraycopy(result.predictions(), 0, adversarialPredictions, from, n);
        System.arraycopy(result.l0(), 0, l0, from, n);
        System.arraycopy(result.l2(), 0, l2, from, n);
        System.arraycopy(result.linf(), 0, linf, from, n);
        System.arraycopy(adversarialConfidence, 0, confidence, from, n);
        if (adversarial != null) {
            System.arraycopy(cleanPixels, 0, clean, from * imageSize, n * imageSize);
            System.arraycopy(result.adversarial(), 0, adversarial, from * imageSize, n * imageSize);
        }
        if (result.sampleQueries() == null) {
            queriesPerSample = false;
        } else {
            for (int i = 0; i < n; i++) {
                sampleQueries[from + i] = result.sampleQueries()[i];
            }
        }
        for (int i = from; i < from + n; i++) {
            success[i] = isSuccess(i);
        }
        gradients += result.gradients();
        queries += result.queries();
        seconds += result.seconds();
        done = from + n;
    }

    /** The attack, its targets and batch size, as run. */
    public DataSetAttack job() {
        return job;
    }

    /** The attacked data set. */
    public ImageDataset data() {
        return data;
    }

    /** Samples attacked (all of the data set once the run is over). */
    public int size() {
        return done;
    }

    public boolean targeted() {
        return targets != null;
    }

    public int[] labels() {
        return labels;
    }

    /** The targets of a targeted attack, else null. */
    public int[] targets() {
        return targets;
    }

    public int[] cleanPredictions() {
        return cleanPredictions;
    }

    public int[] adversarialPredictions() {
        return adversarialPredictions;
    }

    /**
     * Per sample, a success of the attack. Untargeted: the clean image was classified correctly
     * and the adversarial one is not. Targeted: the label is not the target and the adversarial
     * image is classified as the target.
     */
    public boolean[] success() {
        return success;
    }

    /** Changed pixels (all channels at one location), per sample. */
    public float[] l0() {
        return l0;
    }

    public float[] l2() {
        return l2;
    }

    public float[] linf() {
        return linf;
    }

    /** Softmax probability of the predicted class at the adversarial point, per sample. */
    public float[] confidence() {
        return confidence;
    }

    /** Adversarial pixels, flat [N, C, H, W], if {@link DataSetAttack#keepImages()}; else null. */
    public float[] adversarial() {
        return adversarial;
    }

    /** Clean pixels, kept with {@link #adversarial()}; else null. */
    public float[] clean() {
        return clean;
    }

    /** Images through forward and backward passes. */
    public long gradients() {
        return gradients;
    }

    /** Images through forward passes only. */
    public long queries() {
        return queries;
    }

    /**
     * For a query attack, per sample the queries its search spent (up to the success, for a
     * successful sample); null when the attack does not count them per sample.
     */
    public float[] sampleQueries() {
        return queriesPerSample && done > 0 ? sampleQueries : null;
    }

    /**
     * Success against queries: for each budget q, the share of {@link #successDenominator()}
     * samples the attack broke within q queries; null when the attack does not count queries
     * per sample.
     */
    public double[] successWithin(long[] budgets) {
        if (sampleQueries() == null) {
            return null;
        }
        double[] rates = new double[budgets.length];
        for (int b = 0; b < budgets.length; b++) {
            long budget = budgets[b];
            rates[b] = ratio(count(i -> success[i] && sampleQueries[i] <= budget),
                    successDenominator());
        }
        return rates;
    }

    /** The attack's wall time. */
    public double seconds() {
        return seconds;
    }

    private boolean isSuccess(int i) {
        if (targeted()) {
            return labels[i] != targets[i] && adversarialPredictions[i] == targets[i];
        }
        return cleanPredictions[i] == labels[i] && adversarialPredictions[i] != labels[i];
    }

    /** Whether sample {@code i} counts in the success rate's denominator. */
    private boolean eligible(int i) {
        return targeted() ? labels[i] != targets[i] : cleanPredictions[i] == labels[i];
    }

    public int cleanCorrect() {
        return count(i -> cleanPredictions[i] == labels[i]);
    }

    /** Clean-correct samples still classified correctly at their adversarial point. */
    public int robust() {
        return count(i -> cleanPredictions[i] == labels[i] && adversarialPredictions[i] == labels[i]);
    }

    /** Samples classified correctly at their adversarial point, clean-correct or not. */
    public int adversarialCorrect() {
        return count(i -> adversarialPredictions[i] == labels[i]);
    }

    public int successes() {
        return count(i -> success[i]);
    }

    /** Clean-correct samples (untargeted) or samples whose label is not the target (targeted). */
    public int successDenominator() {
        return count(this::eligible);
    }

    /** The samples attacked so far for which {@code holds} is true. */
    private int count(IntPredicate holds) {
        int count = 0;
        for (int i = 0; i < done; i++) {
            count += holds.test(i) ? 1 : 0;
        }
        return count;
    }

    public double cleanAccuracy() {
        return ratio(cleanCorrect(), done);
    }

    public double robustAccuracy() {
        return ratio(robust(), done);
    }

    /** Binomial standard error of the robust accuracy, sqrt(p (1 - p) / n). */
    public double robustAccuracyStderr() {
        return Evaluator.standardError(robustAccuracy(), done);
    }

    /** Accuracy on the adversarial inputs over all samples: 1 - the error rate papers report. */
    public double adversarialAccuracy() {
        return ratio(adversarialCorrect(), done);
    }

    /** Successes over {@link #successDenominator()}; NaN when it is 0. */
    public double successRate() {
        return ratio(successes(), successDenominator());
    }

    /**
     * Median, mean and max over the successful samples of a per-sample statistic of this tally,
     * e.g. {@link #l2()}.
     */
    public PerturbationStats overSuccesses(float[] values) {
        double[] kept = new double[done];
        int count = 0;
        for (int i = 0; i < done; i++) {
            if (success[i]) {
                kept[count++] = values[i];
            }
        }
        return PerturbationStats.of(Arrays.copyOf(kept, count));
    }

    /** Mean probability of the predicted class at the adversarial point, over the successes. */
    public double meanAdversarialConfidence() {
        double sum = 0;
        int count = 0;
        for (int i = 0; i < done; i++) {
            if (success[i]) {
                sum += confidence[i];
                count++;
            }
        }
        return count == 0 ? Double.NaN : sum / count;
    }

    private static double ratio(int count, int total) {
        return total == 0 ? Double.NaN : (double) count / total;
    }
}
