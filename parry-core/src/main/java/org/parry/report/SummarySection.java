package org.parry.report;

import org.parry.eval.AttackOutcome;
import org.parry.eval.EpsilonResult;
import org.parry.eval.EvaluationReport;

/** Clean accuracy, worst-case robust accuracy at each ε, and the attacks' total cost. */
final class SummarySection implements ReportSection {

    @Override
    public String id() {
        return "summary";
    }

    @Override
    public String title() {
        return "Summary";
    }

    @Override
    public void render(ReportPage page) {
        EvaluationReport report = page.report();
        StringBuilder out = page.out();
        out.append("<div class=\"metrics\">\n");
        page.metric("Clean accuracy", Text.percent(report.cleanAccuracy()),
                Text.count(report.cleanCorrect()) + " of " + Text.count(report.n()) + " correct · "
                        + Text.plusMinus(page.standardError(report.cleanAccuracy())) + " pp",
                "clean");
        for (EpsilonResult result : report.results()) {
            page.metric("Robust accuracy · ε = " + Text.epsilon(result.epsilon()),
                    Text.percent(result.robustAccuracy()),
                    Text.plusMinus(result.standardError()) + " pp · " + Text.count(result.robust())
                            + " of " + Text.count(report.n()) + " robust · attacks succeed on "
                            + Text.percent(result.attackSuccessRate()) + " of the clean-correct",
                    "robust");
        }
        double seconds = 0;
        long gradients = 0;
        long queries = 0;
        for (EpsilonResult result : report.results()) {
            for (AttackOutcome outcome : result.attacks()) {
                seconds += outcome.seconds();
                gradients += outcome.gradients();
                queries += outcome.queries();
            }
        }
        page.metric("Attack time", Text.seconds(seconds), Text.count(gradients) + " gradients · "
                + Text.count(queries) + " forward passes", "");
        out.append("</div>\n<p class=\"note\">Robust accuracy is the share of <em>all</em> n samples "
                + "that are classified correctly and survive every attack of the suite (worst case per "
                + "sample, attacks run in order on the samples still robust). ± is one binomial "
                + "standard error, √(p(1−p)/n), in percentage points.</p>\n");
    }
}
