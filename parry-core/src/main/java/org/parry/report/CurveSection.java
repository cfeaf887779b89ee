package org.parry.report;

import java.io.IOException;
import org.parry.eval.EpsilonResult;
import org.parry.eval.EvaluationReport;

/** Accuracy against ε: the chart (worst case and the cumulative curve after each attack) and its table. */
final class CurveSection implements ReportSection {

    @Override
    public String id() {
        return "curve";
    }

    @Override
    public String title() {
        return "Accuracy versus ε";
    }

    @Override
    public String label() {
        return "Accuracy vs ε";
    }

    @Override
    public void render(ReportPage page) throws IOException {
        EvaluationReport report = page.report();
        StringBuilder out = page.out();
        page.image(Charts.accuracyVersusEpsilon(report), Charts.WIDTH, Charts.HEIGHT, "chart",
                "Accuracy versus epsilon");
        out.append("<p class=\"note\">ε = 0 is the clean accuracy. Solid: the worst case over all "
                + "attacks, with ±1 standard error bars.");
        if (report.results().size() > 1 && report.results().get(0).attacks().size() > 1) {
            out.append(" Dashed: the cumulative robust accuracy after each earlier attack of the suite; "
                    + "the last attack's curve is the worst case.");
        }
        out.append("</p>\n<div class=\"scroll\"><table class=\"compact\"><thead><tr><th class=\"num\">ε</th>"
                + "<th class=\"num\">robust accuracy</th><th class=\"num\">standard error</th>"
                + "<th class=\"num\">robust samples</th><th class=\"num\">attack success "
                + "(of clean-correct)</th></tr></thead><tbody>\n<tr>");
        page.num("0");
        page.num(Text.percent(report.cleanAccuracy()) + " (clean)");
        page.num(Text.plusMinus(page.standardError(report.cleanAccuracy())) + " pp");
        page.num(Text.count(report.cleanCorrect()));
        page.num(Text.NONE);
        out.append("</tr>\n");
        for (EpsilonResult result : report.results()) {
            out.append("<tr>");
            page.num(Text.epsilon(result.epsilon()));
            page.num(Text.percent(result.robustAccuracy()));
            page.num(Text.plusMinus(result.standardError()) + " pp");
            page.num(Text.count(result.robust()));
            page.num(Text.percent(result.attackSuccessRate()) + " of "
                    + Text.count(report.cleanCorrect()));
            out.append("</tr>\n");
        }
        out.append("</tbody></table></div>\n");
    }
}
