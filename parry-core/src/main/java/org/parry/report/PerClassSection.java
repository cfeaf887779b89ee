package org.parry.report;

import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import org.parry.eval.EpsilonResult;
import org.parry.eval.EvaluationReport;

/** Clean and robust accuracy per true class: a chart at the first ε, a table at every ε. */
final class PerClassSection implements ReportSection {

    @Override
    public String id() {
        return "classes";
    }

    @Override
    public String title() {
        return "Per-class robustness";
    }

    @Override
    public String label() {
        return "Per class";
    }

    @Override
    public void render(ReportPage page) throws IOException {
        EvaluationReport report = page.report();
        StringBuilder out = page.out();
        int[] classCounts = page.classCounts();
        EpsilonResult first = report.results().get(0);
        page.image(Charts.perClass(report, classCounts, 0), Charts.WIDTH, Charts.HEIGHT, "chart",
                "Clean and robust accuracy per class");
        Set<Integer> weakest = weakestClasses(classCounts, first.perClassRobustAccuracy());
        out.append("<div class=\"scroll\"><table class=\"compact\"><thead><tr><th>class</th>"
                + "<th class=\"num\">n</th><th class=\"num\">clean</th>");
        for (EpsilonResult result : report.results()) {
            out.append("<th class=\"num\">robust at ε = ").append(Text.html(Text.epsilon(result.epsilon())))
                    .append("</th>");
        }
        out.append("</tr></thead><tbody>\n");
        for (int c = 0; c < classCounts.length; c++) {
            boolean weak = weakest.contains(c);
            out.append(weak ? "<tr class=\"worst\">" : "<tr>").append("<td>")
                    .append(Text.html(page.className(c)));
            if (weak) {
                out.append(" <span class=\"tag\">weakest</span>");
            }
            out.append("</td>");
            page.num(Text.count(classCounts[c]));
            page.num(Text.percent(report.perClassCleanAccuracy()[c]));
            for (EpsilonResult result : report.results()) {
                page.num(Text.percent(result.perClassRobustAccuracy()[c]));
            }
            out.append("</tr>\n");
        }
        out.append("</tbody></table></div>\n<p class=\"note\">Accuracy over the samples of each true "
                + "class; the chart is at the first ε, ").append(Text.html(Text.epsilon(first.epsilon())))
                .append(". ").append(weakest.isEmpty()
                        ? "No single weakest class: many classes tie for the lowest robust accuracy."
                        : "The weakest class has the lowest robust accuracy there.").append("</p>\n");
    }

    /**
     * The classes with the lowest robust accuracy (over classes with samples), marked only when
     * at most three tie: a mark on most classes would say nothing.
     */
    private static Set<Integer> weakestClasses(int[] classCounts, double[] robust) {
        double lowest = Double.POSITIVE_INFINITY;
        for (int c = 0; c < classCounts.length; c++) {
            if (classCounts[c] > 0 && Double.isFinite(robust[c])) {
                lowest = Math.min(lowest, robust[c]);
            }
        }
        Set<Integer> weakest = new HashSet<>();
        for (int c = 0; c < classCounts.length; c++) {
            if (classCounts[c] > 0 && robust[c] == lowest) {
                weakest.add(c);
            }
        }
        return weakest.size() <= 3 && weakest.size() < classCounts.length ? weakest : Set.of();
    }
}
