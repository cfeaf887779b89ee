package org.parry.report;

import org.parry.eval.EvaluationReport;
import org.parry.eval.HypocriticalRisk;

/** Hypocritical risk (Tao et al., AAAI 2022): how many clean mistakes a small change hides. */
final class HypocriticalSection implements ReportSection {

    @Override
    public String id() {
        return "hypocritical";
    }

    @Override
    public String title() {
        return "Hypocritical risk";
    }

    @Override
    public void render(ReportPage page) {
        EvaluationReport report = page.report();
        StringBuilder out = page.out();
        HypocriticalRisk risk = report.hypocritical();
        if (risk == null) {
            out.append("<p>Not computed.</p>\n");
            return;
        }
        out.append("<div class=\"metrics\">\n");
        boolean noMistake = risk.misclassified() == 0;
        page.metric("Hypocritical risk", noMistake ? Text.NONE : Text.percent(risk.risk()),
                noMistake ? "the model makes no clean mistake to hide"
                        : Text.count(risk.fixed()) + " of " + Text.count(risk.misclassified())
                                + " clean mistakes made correct", "");
        page.metric("Unnormalized risk", Text.percent(risk.unnormalizedRisk()),
                "fixed / n = " + Text.count(risk.fixed()) + " / " + Text.count(risk.n()), "");
        page.metric("Accuracy after the false friend", Text.percent(risk.hypocriticalAccuracy()),
                "clean " + Text.percent(risk.cleanAccuracy()) + " · " + Text.count(risk.flips())
                        + " correct samples flipped", "");
        out.append("</div>\n<p class=\"note\">A hypocritical perturbation (Tao et al., AAAI 2022) of "
                + "budget ε = ").append(Text.html(Text.epsilon(report.hypocriticalEpsilon())))
                .append(" in ").append(Text.html(Text.norm(report.norm())))
                .append(" tries to make each clean mistake look correct. A high risk means small, "
                        + "invisible changes could hide the model's errors from whoever evaluates it; "
                        + "flips of correct samples should be near zero.</p>\n");
    }
}
