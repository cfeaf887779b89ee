package org.parry.report;

import org.parry.eval.SanityCheck;

/** The evaluation's self-checks, each with its PASS / WARN / FAIL / SKIP badge and why. */
final class SanityChecksSection implements ReportSection {

    @Override
    public String id() {
        return "checks";
    }

    @Override
    public String title() {
        return "Sanity checks";
    }

    @Override
    public void render(ReportPage page) {
        StringBuilder out = page.out();
        if (page.checks().isEmpty()) {
            out.append("<p>No sanity check was run.</p>\n");
            return;
        }
        out.append("<p class=\"note top\">Automatable checks that reveal a broken evaluation or "
                + "gradient masking (Carlini et al. 2019; Tramèr et al. 2020; AutoAttack's flags). A "
                + "FAIL means the robust accuracy above is not trustworthy as it stands; a SKIP says why "
                + "a check did not run (<code>--sanity off</code>, or nothing to check).</p>\n")
                .append("<table class=\"checks\"><thead><tr><th>status</th><th>check</th>"
                        + "<th>explanation</th></tr></thead><tbody>\n");
        for (SanityCheck check : page.checks()) {
            out.append("<tr><td>").append(ReportPage.badge(check.status())).append("</td><td><code>")
                    .append(Text.html(check.id())).append("</code></td><td>")
                    .append(Text.html(check.explanation())).append("</td></tr>\n");
        }
        out.append("</tbody></table>\n");
    }
}
