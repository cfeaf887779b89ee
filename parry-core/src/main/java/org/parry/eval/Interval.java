package org.parry.eval;

/**
 * A 95% confidence interval for a proportion measured over test points: Wilson's score interval
 * (E. B. Wilson, "Probable inference, the law of succession, and statistical inference", JASA
 * 1927), which stays inside [0, 1] and keeps its coverage at 0 or n successes, where the normal
 * approximation p ± 1.96 sqrt(p(1-p)/n) collapses to a point:
 * <pre>
 *   centre = (p + z²/2n) / (1 + z²/n),   half-width = z sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n),
 * </pre>
 * with p = k/n and z = 1.96.
 *
 * @param low the lower end
 * @param high the upper end
 */
public record Interval(double low, double high) {

    /** The normal quantile of a two-sided 95% interval. */
    public static final double Z95 = 1.959963984540054;

    /**
     * The Wilson interval of {@code successes} out of {@code n}.
     *
     * @throws IllegalArgumentException unless 0 <= successes <= n and n >= 1
     */
    public static Interval wilson(long successes, long n) {
        if (n < 1 || successes < 0 || successes > n) {
            throw new IllegalArgumentException("a proportion needs 0 <= successes <= n and n >= 1,"
                    + " got " + successes + " of " + n);
        }
        double p = (double) successes / n;
        double z2 = Z95 * Z95;
        double denominator = 1 + z2 / n;
        double centre = (p + z2 / (2.0 * n)) / denominator;
        double half = Z95 * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / denominator;
        return new Interval(Math.max(0, centre - half), Math.min(1, centre + half));
    }
}
