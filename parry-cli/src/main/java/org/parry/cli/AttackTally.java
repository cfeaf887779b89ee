package org.parry.cli;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.parry.attack.AttackResult;

/**
 * The per-sample outcome of {@code parry attack}, filled batch by batch, and the metrics of
 * section 14 of the methods note computed from it: clean accuracy, robust accuracy (clean-correct
 * and still correct at the adversarial point, over all samples), success rate with its
 * denominator (untargeted: clean-correct samples; targeted: samples whose label is not the
 * target), and perturbation statistics over the successes.
 */
final class AttackTally {

    /** Median, mean and max of a statistic over the successful samples; NaN when there are none. */
    record Summary(double median, double mean, double max) {

        static Summary of(float[] values, boolean[] include) {
            double[] kept = new double[values.length];
            int count = 0;
            for (int i = 0; i < values.length; i++) {
                if (include[i]) {
                    kept[count++] = values[i];
                }
            }
            if (count == 0) {
                return new Summary(Double.NaN, Double.NaN, Double.NaN);
            }
            kept = Arrays.copyOf(kept, count);
            Arrays.sort(kept);
            double median = count % 2 == 1 ? kept[count / 2]
                    : (kept[count / 2 - 1] + kept[count / 2]) / 2;
            return new Summary(median, Arrays.stream(kept).average().orElseThrow(), kept[count - 1]);
        }

        /** JSON form; NaN (no successes) becomes null, which JSON can represent. */
        Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("median", finite(median));
            json.put("mean", finite(mean));
            json.put("max", finite(max));
            return json;
        }

        private static Double finite(double value) {
            return Double.isFinite(value) ? value : null;
        }
    }

    final int size;
    final int imageSize;
    final int[] labels;
    /** Targets for a targeted attack, else null. */
    final int[] targets;
    final int[] cleanPredictions;
    final int[] adversarialPredictions;
    /** Per sample, counted as a success of the attack (see {@link #isSuccess}). */
    final boolean[] success;
    final float[] l0;
    final float[] l2;
    final float[] linf;
    /** Softmax probability of the predicted class at the adversarial point. */
    final float[] confidence;
    /** Adversarial pixels [N·C·H·W], kept only when the caller asked for them; else null. */
    final float[] adversarial;
    /** Clean pixels, kept with {@link #adversarial}. */
    final float[] clean;
    long gradients;
    long queries;
    double seconds;
    int done;

    AttackTally(int[] labels, int[] targets, int imageSize, boolean keepImages) {
        this.size = labels.length;
        this.imageSize = imageSize;
        this.labels = labels.clone();
        this.targets = targets;
        this.cleanPredictions = new int[size];
        this.adversarialPredictions = new int[size];
        this.success = new boolean[size];
        this.l0 = new float[size];
        this.l2 = new float[size];
        this.linf = new float[size];
        this.confidence = new float[size];
        this.adversarial = keepImages ? new float[Math.multiplyExact(size, imageSize)] : null;
        this.clean = keepImages ? new float[Math.multiplyExact(size, imageSize)] : null;
    }

    boolean targeted() {
        return targets != null;
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
        for (int i = from; i < from + n; i++) {
            success[i] = isSuccess(i);
        }
        gradients += result.gradients();
        queries += result.queries();
        seconds += result.seconds();
        done = from + n;
    }

    /**
     * Untargeted: the clean image was classified correctly and the adversarial one is not.
     * Targeted: the label is not the target and the adversarial image is classified as the target.
     */
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

    int cleanCorrect() {
        int count = 0;
        for (int i = 0; i < done; i++) {
            count += cleanPredictions[i] == labels[i] ? 1 : 0;
        }
        return count;
    }

    /** Clean-correct samples still classified correctly at their adversarial point. */
    int robust() {
        int count = 0;
        for (int i = 0; i < done; i++) {
            count += cleanPredictions[i] == labels[i] && adversarialPredictions[i] == labels[i] ? 1 : 0;
        }
        return count;
    }

    /** Samples classified correctly at their adversarial point, clean-correct or not. */
    int adversarialCorrect() {
        int count = 0;
        for (int i = 0; i < done; i++) {
            count += adversarialPredictions[i] == labels[i] ? 1 : 0;
        }
        return count;
    }

    int successes() {
        int count = 0;
        for (int i = 0; i < done; i++) {
            count += success[i] ? 1 : 0;
        }
        return count;
    }

    int successDenominator() {
        int count = 0;
        for (int i = 0; i < done; i++) {
            count += eligible(i) ? 1 : 0;
        }
        return count;
    }

    double cleanAccuracy() {
        return ratio(cleanCorrect(), done);
    }

    double robustAccuracy() {
        return ratio(robust(), done);
    }

    /** Binomial standard error of the robust accuracy, sqrt(p (1 - p) / n). */
    double robustAccuracyStderr() {
        double p = robustAccuracy();
        return done == 0 ? Double.NaN : Math.sqrt(p * (1 - p) / done);
    }

    /** Accuracy on the adversarial inputs over all samples: 1 - the error rate papers report. */
    double adversarialAccuracy() {
        return ratio(adversarialCorrect(), done);
    }

    double successRate() {
        return ratio(successes(), successDenominator());
    }

    Summary perturbation(float[] values) {
        return Summary.of(values, success);
    }

    /** Mean probability of the predicted class at the adversarial point, over the successes. */
    double meanAdversarialConfidence() {
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
