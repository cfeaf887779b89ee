package org.parry.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.parry.eval.EpsilonResult;
import org.parry.eval.EvaluationReport;

/**
 * Where attacks push each class: per ε, the most frequent class pairs and, for up to
 * {@value #MAX_MATRIX_CLASSES} classes, the shaded confusion matrix under attack.
 */
final class ConfusionSection implements ReportSection {

    /** Above this many classes the confusion matrix is replaced by its most frequent pairs. */
    static final int MAX_MATRIX_CLASSES = 20;

    @Override
    public String id() {
        return "confusion";
    }

    @Override
    public String title() {
        return "Class-pair confusion under attack";
    }

    @Override
    public String label() {
        return "Confusion";
    }

    @Override
    public void render(ReportPage page) {
        EvaluationReport report = page.report();
        StringBuilder out = page.out();
        out.append("<p class=\"note top\">Rows: true class; columns: the prediction at each "
                + "clean-correct sample's worst-case point (its adversarial example if an attack broke "
                + "it, else the clean image, on the diagonal). Shading is the share of the row. "
                + "Off-diagonal mass shows the classes untargeted attacks push toward.</p>\n");
        for (int e = 0; e < report.results().size(); e++) {
            EpsilonResult result = report.results().get(e);
            String heading = "ε = " + Text.epsilon(result.epsilon());
            if (e == 0) {
                out.append("<h3>").append(Text.html(heading)).append("</h3>\n");
            } else {
                out.append("<details><summary>").append(Text.html(heading)).append("</summary>\n");
            }
            topPairs(page, result.confusionUnderAttack());
            if (report.classNames().size() <= MAX_MATRIX_CLASSES) {
                matrix(page, result.confusionUnderAttack());
            }
            if (e > 0) {
                out.append("</details>\n");
            }
        }
    }

    private static void matrix(ReportPage page, long[][] counts) {
        StringBuilder out = page.out();
        int k = counts.length;
        out.append("<div class=\"scroll\"><table class=\"confusion\"><thead><tr>")
                .append("<th class=\"corner\">predicted →<br>true ↓</th>");
        for (int c = 0; c < k; c++) {
            out.append("<th>").append(Text.html(page.className(c))).append("</th>");
        }
        out.append("<th class=\"num\">clean-correct</th></tr></thead><tbody>\n");
        for (int t = 0; t < k; t++) {
            long rowTotal = 0;
            for (long count : counts[t]) {
                rowTotal += count;
            }
            out.append("<tr><th>").append(Text.html(page.className(t))).append("</th>");
            for (int p = 0; p < k; p++) {
                long count = counts[t][p];
                if (count == 0) {
                    out.append("<td class=\"zero\">·</td>");
                    continue;
                }
                double share = (double) count / rowTotal;
                String colour = t == p
                        ? String.format(Locale.ROOT, "rgba(46,125,50,%.3f)", 0.10 + 0.55 * share)
                        : String.format(Locale.ROOT, "rgba(198,40,40,%.3f)", 0.12 + 0.78 * share);
                out.append("<td style=\"background:").append(colour).append("\"")
                        .append(share > 0.6 ? " class=\"dark\"" : "").append(" title=\"")
                        .append(Text.html(page.className(t) + " → " + page.className(p) + ": " + count))
                        .append("\">").append(count).append("</td>");
            }
            out.append("<td class=\"num\">").append(Text.count(rowTotal)).append("</td></tr>\n");
        }
        out.append("</tbody></table></div>\n");
    }

    /** The most frequent off-diagonal pairs, in a sentence. */
    private static void topPairs(ReportPage page, long[][] counts) {
        StringBuilder out = page.out();
        List<long[]> pairs = new ArrayList<>();
        for (int t = 0; t < counts.length; t++) {
            for (int p = 0; p < counts.length; p++) {
                if (t != p && counts[t][p] > 0) {
                    pairs.add(new long[] {counts[t][p], t, p});
                }
            }
        }
        pairs.sort((a, b) -> a[0] != b[0] ? Long.compare(b[0], a[0])
                : a[1] != b[1] ? Long.compare(a[1], b[1]) : Long.compare(a[2], b[2]));
        out.append("<p class=\"pairs\">");
        if (pairs.isEmpty()) {
            out.append("No clean-correct sample was pushed to another class.");
        } else {
            out.append("Most frequent pairs: ");
            for (int i = 0; i < Math.min(5, pairs.size()); i++) {
                long[] pair = pairs.get(i);
                out.append(i > 0 ? ", " : "").append("<b>")
                        .append(Text.html(page.className((int) pair[1]))).append(" → ")
                        .append(Text.html(page.className((int) pair[2]))).append("</b> (")
                        .append(pair[0]).append(')');
            }
            out.append('.');
        }
        out.append("</p>\n");
    }
}
