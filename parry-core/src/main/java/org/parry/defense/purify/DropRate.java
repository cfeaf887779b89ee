package org.parry.defense.purify;

import java.util.Arrays;

/**
 * A detector's threshold at a drop rate (Meng and Chen, MagNet, ACM CCS 2017): the score above
 * which an input is rejected, chosen so that a fraction q of clean validation inputs would be.
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
public final class DropRate {

    private DropRate() {}

    /**
     * @param cleanScores the detector's scores on clean validation inputs, at least one
     * @param dropRate q in (0, 1)
     * @return θ
     */
    public static float threshold(float[] cleanScores, double dropRate) {
        if (cleanScores.length == 0) {
            throw new IllegalArgumentException("a threshold needs at least one clean score");
        }
        require(dropRate);
        float[] sorted = cleanScores.clone();
        Arrays.sort(sorted);
        if (Float.isNaN(sorted[sorted.length - 1])) {
            throw new IllegalArgumentException("the clean scores hold NaN: the detector's"
                    + " autoencoder or classifier gives non-finite outputs");
        }
        int k = (int) Math.floor(dropRate * sorted.length);
        return sorted[sorted.length - 1 - k];
    }

    static void require(double dropRate) {
        if (!(dropRate > 0 && dropRate < 1)) {
            throw new IllegalArgumentException("drop rate must be in (0, 1), got " + dropRate
                    + " (MagNet uses 0.001 on MNIST, 0.005 on CIFAR-10)");
        }
    }
}
