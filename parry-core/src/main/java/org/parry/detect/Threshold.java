package org.parry.detect;

import java.util.Arrays;

/**
 * A detector's threshold at a false-positive rate q, MagNet's "drop rate" (Meng and Chen, ACM CCS
 * 2017) and the survey's "FPR on clean data" (Aldahdooh et al. 2022): the score above which an
 * input is rejected, chosen so that a fraction q of clean validation inputs would be.
 * With the n clean scores sorted, s_(1) ≤ ... ≤ s_(n), and k = ⌊q·n⌋,
 * <pre>
 *   θ = s_(n-k),     reject x  ⇔  score(x) > θ
 * </pre>
 * so exactly k clean scores exceed θ when they are distinct (fewer with ties): the rate on the
 * fitting set is at most q, and on other clean inputs q in expectation. The authors' code takes
 * θ = s_(n-k+1) and rejects at score ≥ θ, which rejects the same k inputs, but with k = 0 (q·n
 * below 1) it picks the smallest score and rejects everything; here θ is then the largest score
 * and nothing clean is rejected.
 */
public final class Threshold {

    private Threshold() {}

    /**
     * @param cleanScores the detector's scores on clean validation inputs, at least one
     * @param rate q in (0, 1)
     * @return θ
     */
    public static float atFalsePositiveRate(float[] cleanScores, double rate) {
        if (cleanScores.length == 0) {
            throw new IllegalArgumentException("a threshold needs at least one clean score");
        }
        require(rate);
        float[] sorted = cleanScores.clone();
        Arrays.sort(sorted);
        if (Float.isNaN(sorted[sorted.length - 1])) {
            throw new IllegalArgumentException("the clean scores hold NaN: the detector or the"
                    + " classifier it reads gives non-finite outputs");
        }
        int k = (int) Math.floor(rate * sorted.length);
        return sorted[sorted.length - 1 - k];
    }

    /** Checks a false-positive rate (a drop rate): q in (0, 1). */
    public static void require(double rate) {
        if (!(rate > 0 && rate < 1)) {
            throw new IllegalArgumentException("the false-positive rate (drop rate) must be in"
                    + " (0, 1), got " + rate + " (MagNet uses 0.001 on MNIST, the survey 0.05)");
        }
    }
}
