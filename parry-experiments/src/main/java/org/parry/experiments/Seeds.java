package org.parry.experiments;

import java.util.Locale;

/**
 * Statistics over a few training seeds, as the experiment pages report them: mean ± sample
 * standard deviation, and paired per-seed differences with a 95% Student t interval and a
 * verdict against a paper's claimed effect.
 */
public final class Seeds {

    /** The 97.5% quantile of Student's t with n − 1 degrees of freedom, for n = 2 to 6 seeds. */
    private static final double[] T_975 = {12.706, 4.303, 3.182, 2.776, 2.571};

    private Seeds() {}

    public static double mean(double[] v) {
        double sum = 0;
        for (double x : v) {
            sum += x;
        }
        return sum / v.length;
    }

    /** The sample standard deviation, NaN for fewer than two values. */
    public static double sd(double[] v) {
        if (v.length < 2) {
            return Double.NaN;
        }
        double m = mean(v);
        double sum = 0;
        for (double x : v) {
            sum += (x - m) * (x - m);
        }
        return Math.sqrt(sum / (v.length - 1));
    }

    /** Half the width of the 95% t interval of the mean, NaN outside 2 to 6 values. */
    public static double halfWidth(double[] v) {
        if (v.length < 2 || v.length - 2 >= T_975.length) {
            return Double.NaN;
        }
        return T_975[v.length - 2] * sd(v) / Math.sqrt(v.length);
    }

    /** "mean ± sd" in percent, or the single value, or a dash for none. */
    public static String cell(double[] v) {
        if (v.length == 0) {
            return "–";
        }
        if (v.length == 1) {
            return String.format(Locale.ROOT, "%.1f", 100 * v[0]);
        }
        return String.format(Locale.ROOT, "%.1f ± %.1f", 100 * mean(v), 100 * sd(v));
    }

    /**
     * A paired difference in points with its 95% t interval over seeds, and the verdict against
     * a claimed minimum effect in points: reproduced (mean at or above the claim and the interval
     * above zero), not reproduced (the interval below the claim), or inconclusive.
     *
     * @param diffs per-seed differences, as fractions
     */
    public static String verdict(double[] diffs, double claimPoints) {
        if (diffs.length == 0) {
            return "not measured yet";
        }
        double m = 100 * mean(diffs);
        if (diffs.length < 3) {
            return String.format(Locale.ROOT, "%+.1f pts (%d seed%s: no interval)", m,
                    diffs.length, diffs.length == 1 ? "" : "s");
        }
        double half = 100 * halfWidth(diffs);
        String verdict = m >= claimPoints && m - half > 0 ? "**reproduced**"
                : m + half < claimPoints ? "**not reproduced**"
                : "**inconclusive** at " + diffs.length + " seeds";
        return String.format(Locale.ROOT, "%+.1f pts, 95%% CI [%+.1f, %+.1f]: %s", m, m - half,
                m + half, verdict);
    }
}
