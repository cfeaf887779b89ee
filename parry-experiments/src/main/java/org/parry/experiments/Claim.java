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
     * @param evidence the numbers behind it, in words
     */
    public record Verdict(boolean holds, String evidence) {

        /** A verdict with its evidence formatted by {@link String#format} in the root locale. */
        public static Verdict of(boolean holds, String pattern, Object... values) {
            return new Verdict(holds, String.format(Locale.ROOT, pattern, values));
        }
    }

    /** The claim as a line of the page: the text, yes/no/not measured yet, the evidence. */
    public String line(Results results) {
        return check.apply(results)
                .map(v -> "- " + text + ": **" + (v.holds() ? "yes" : "no") + "** (" + v.evidence()
                        + ").")
                .orElse("- " + text + ": not measured yet.");
    }
}
