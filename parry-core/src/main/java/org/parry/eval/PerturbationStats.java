package org.parry.eval;

import java.util.Arrays;

/**
 * Median, mean and max of a perturbation norm over the successful samples of an attack.
 *
 * @param count successful samples the statistics are over
 */
public record PerturbationStats(int count, double median, double mean, double max) {

    /** Statistics of the given values (NaN everywhere when there are none). */
    public static PerturbationStats of(double[] values) {
        if (values.length == 0) {
            return new PerturbationStats(0, Double.NaN, Double.NaN, Double.NaN);
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return new PerturbationStats(n, median, Arrays.stream(sorted).average().orElseThrow(),
                sorted[n - 1]);
    }
}
