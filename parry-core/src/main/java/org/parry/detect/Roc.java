package org.parry.detect;

import java.util.Arrays;

/**
 * The receiver operating characteristic of a detector on clean (negative) and adversarial
 * (positive) scores, where an input is flagged when its score exceeds a threshold.
 * <ul>
 *   <li>ROC-AUC is the Mann-Whitney statistic, the probability that a random adversarial score
 *       exceeds a random clean one, ties counted one half:
 *       <pre>  AUC = (R₁ − n₁(n₁ + 1)/2) / (n₀·n₁)</pre>
 *       with R₁ the sum of the adversarial scores' ranks among all n₀ + n₁ scores (tied scores
 *       take their mean rank). A constant detector has AUC 0.5.
 *   <li>TPR at FPR q is the share of adversarial scores above the threshold {@link Threshold}
 *       fits at q on the clean scores: the number a deployed detector gives.
 *   <li>The curve: (FPR, TPR) at every distinct score as threshold, from (0, 0) to (1, 1).
 * </ul>
 *
 * @param clean the negatives' scores
 * @param adversarial the positives' scores
 */
public record Roc(float[] clean, float[] adversarial) {

    public Roc {
        if (clean.length == 0 || adversarial.length == 0) {
            throw new IllegalArgumentException("a ROC needs clean and adversarial scores, got "
                    + clean.length + " clean and " + adversarial.length + " adversarial");
        }
        clean = clean.clone();
        adversarial = adversarial.clone();
    }

    /** ROC-AUC by the Mann-Whitney U statistic, ties averaged. */
    public double auc() {
        int n0 = clean.length;
        int n1 = adversarial.length;
        float[] all = new float[n0 + n1];
        System.arraycopy(clean, 0, all, 0, n0);
        System.arraycopy(adversarial, 0, all, n0, n1);
        Integer[] order = new Integer[all.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> Float.compare(all[a], all[b]));
        double rankSum = 0;
        int i = 0;
        while (i < order.length) {
            int j = i;
            while (j + 1 < order.length && all[order[j + 1]] == all[order[i]]) {
                j++;
            }
            double meanRank = (i + j) / 2.0 + 1; // ranks i+1 .. j+1
            for (int k = i; k <= j; k++) {
                if (order[k] >= n0) {
                    rankSum += meanRank;
                }
            }
            i = j + 1;
        }
        return (rankSum - n1 * (n1 + 1) / 2.0) / ((double) n0 * n1);
    }

    /** The share of adversarial scores above {@code threshold}. */
    public double truePositiveRate(float threshold) {
        return aboveShare(adversarial, threshold);
    }

    /** The share of clean scores above {@code threshold}. */
    public double falsePositiveRate(float threshold) {
        return aboveShare(clean, threshold);
    }

    /** The TPR at the threshold fitted at false-positive rate {@code rate} on the clean scores. */
    public double truePositiveRateAt(double rate) {
        return truePositiveRate(Threshold.atFalsePositiveRate(clean, rate));
    }

    /**
     * The curve, thinned to at most {@code points} points (at least 2) for a plot, always holding
     * (0, 0) and (1, 1).
     */
    public Curve curve(int points) {
        if (points < 2) {
            throw new IllegalArgumentException("a curve needs >= 2 points, got " + points);
        }
        float[] thresholds = new float[clean.length + adversarial.length];
        System.arraycopy(clean, 0, thresholds, 0, clean.length);
        System.arraycopy(adversarial, 0, thresholds, clean.length, adversarial.length);
        Arrays.sort(thresholds);
        float[] distinct = new float[thresholds.length]; // descending
        int count = 0;
        for (int k = thresholds.length - 1; k >= 0; k--) {
            if (count == 0 || thresholds[k] != distinct[count - 1]) {
                distinct[count++] = thresholds[k];
            }
        }
        int m = count + 1;
        double[] fpr = new double[m];
        double[] tpr = new double[m];
        // Flagging at score >= t for each distinct t, from the largest: rates rise to (1, 1).
        for (int k = 0; k < count; k++) {
            fpr[k + 1] = atLeastShare(clean, distinct[k]);
            tpr[k + 1] = atLeastShare(adversarial, distinct[k]);
        }
        if (m <= points) {
            return new Curve(fpr, tpr);
        }
        double[] thinFpr = new double[points];
        double[] thinTpr = new double[points];
        for (int k = 0; k < points; k++) {
            int at = (int) Math.round((double) k * (m - 1) / (points - 1));
            thinFpr[k] = fpr[at];
            thinTpr[k] = tpr[at];
        }
        return new Curve(thinFpr, thinTpr);
    }

    /**
     * Points of a ROC curve, FPR and TPR rising together.
     *
     * @param fpr false-positive rates, from 0 to 1
     * @param tpr true-positive rates, from 0 to 1
     */
    public record Curve(double[] fpr, double[] tpr) {}

    private static double aboveShare(float[] scores, float threshold) {
        int above = 0;
        for (float s : scores) {
            above += s > threshold ? 1 : 0;
        }
        return (double) above / scores.length;
    }

    private static double atLeastShare(float[] scores, float threshold) {
        int above = 0;
        for (float s : scores) {
            above += s >= threshold ? 1 : 0;
        }
        return (double) above / scores.length;
    }
}
