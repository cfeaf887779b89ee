package org.parry.experiments;

import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * Something a page says the numbers show, checked on the results: a paper's claim at Parry's
 * scale, or a property Parry's own implementation must have. The page prints each with its
 * verdict; the acceptance tests ({@code DefenseClaimsTest}) fail when a claim marked {@code
 * required} does not hold on the committed results.
 *
 * @param section the page section it belongs to
 * @param text the claim, e.g. "PGD-AT reaches PGD-20 ≥ 0.55 with clean ≥ 0.75"
 * @param required whether Parry must meet it (its own defenses working), rather than a paper's
 *     claim that may not reproduce at this scale
 * @param check the verdict on the results, or empty while the numbers it needs are missing
 */
public record Claim(String section, String text, boolean required,
        Function<Results, Optional<Verdict>> check) {

    /**
     * @param holds whether the claim holds
     * @param word the verdict as the page prints it, e.g. "yes", "reproduced", "inconclusive"
     * @param evidence the numbers behind it, in words
     */
    public record Verdict(boolean holds, String word, String evidence) {

        /** A yes/no verdict with its evidence formatted in the root locale. */
        public static Verdict of(boolean holds, String pattern, Object... values) {
            return new Verdict(holds, holds ? "yes" : "no",
                    String.format(Locale.ROOT, pattern, values));
        }

        /**
         * A paper's claimed effect against paired per-seed differences ({@link Seeds#verdict}):
         * reproduced when the mean reaches the claim and the 95% interval is above zero (with a
         * single seed, when the difference reaches the claim), "not at this scale" otherwise.
         *
         * @param diffs per-seed differences as fractions (at least one)
         * @param claimPoints the claimed minimum effect in points
         * @param more further evidence appended after the interval, or empty
         */
        public static Verdict effect(double[] diffs, double claimPoints, String more) {
            double mean = 100 * Seeds.mean(diffs);
            double half = 100 * Seeds.halfWidth(diffs);
            boolean reproduced = mean >= claimPoints && (diffs.length < 3 || mean - half > 0);
            String word = reproduced ? "reproduced"
                    : diffs.length >= 3 && mean + half >= claimPoints ? "inconclusive"
                    : "not at this scale";
            String evidence = diffs.length >= 3
                    ? String.format(Locale.ROOT, "%+.1f pts, 95%% CI [%+.1f, %+.1f] over %d seeds",
                            mean, mean - half, mean + half, diffs.length)
                    : String.format(Locale.ROOT, "%+.1f pts, %d seed%s", mean, diffs.length,
                            diffs.length == 1 ? "" : "s");
            return new Verdict(reproduced, word, more.isEmpty() ? evidence : evidence + "; " + more);
        }
    }

    /** The claim as a line of the page: the text, its verdict or "not measured yet", the evidence. */
    public String line(Results results) {
        return check.apply(results)
                .map(v -> "- " + text + ": **" + v.word() + "** (" + v.evidence() + ").")
                .orElse("- " + text + ": not measured yet.");
    }
}
