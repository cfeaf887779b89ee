package org.parry.report;

import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.parry.data.ImageDataset;
import org.parry.eval.AttackOutcome;
import org.parry.eval.EvaluationReport;
import org.parry.eval.Evaluator;
import org.parry.eval.Provenance;
import org.parry.eval.SanityCheck;

/**
 * The page {@link HtmlReport} is writing: the report, the run behind it and its data, the HTML
 * written so far, and the pieces of markup several {@link ReportSection}s share (metric boxes,
 * numeric cells, inline images, key-value rows, badges). Every text it is given is escaped unless
 * the method says it takes HTML.
 */
final class ReportPage {

    private final EvaluationReport report;
    private final Evaluator.Run run;
    private final ImageDataset data;
    private final int[] classCounts;
    private final StringBuilder out = new StringBuilder(1 << 17);

    ReportPage(EvaluationReport report, Evaluator.Run run, ImageDataset data) {
        this.report = report;
        this.run = run;
        this.data = data;
        this.classCounts = new int[report.classNames().size()];
        for (int label : run.labels()) {
            classCounts[label]++;
        }
    }

    EvaluationReport report() {
        return report;
    }

    Evaluator.Run run() {
        return run;
    }

    ImageDataset data() {
        return data;
    }

    /** Samples per true class (a copy). */
    int[] classCounts() {
        return classCounts.clone();
    }

    /** The HTML written so far; sections append to it. */
    StringBuilder out() {
        return out;
    }

    /** A metric box: a label, a large value and a line of detail. */
    void metric(String label, String value, String detail, String kind) {
        out.append("<div class=\"metric ").append(kind).append("\"><div class=\"label\">")
                .append(Text.html(label)).append("</div><div class=\"value\">").append(Text.html(value))
                .append("</div><div class=\"detail\">").append(Text.html(detail)).append("</div></div>\n");
    }

    /** A right-aligned table cell holding {@code text}. */
    void num(String text) {
        num(Text.html(text), true);
    }

    /** A right-aligned table cell holding {@code html}, escaped unless {@code alreadyEscaped}. */
    void num(String html, boolean alreadyEscaped) {
        out.append("<td class=\"num\">").append(alreadyEscaped ? html : Text.html(html)).append("</td>");
    }

    /** A row of a key-value table. */
    void row(String key, String value) {
        row(key, value, false);
    }

    /** A row of a key-value table, its value in {@code <code>} when {@code code}. */
    void row(String key, String value, boolean code) {
        out.append("<tr><th>").append(Text.html(key)).append("</th><td>")
                .append(code ? "<code>" : "").append(Text.html(value == null ? Text.NONE : value))
                .append(code ? "</code>" : "").append("</td></tr>\n");
    }

    /** A PNG inlined as a data URI. */
    void image(byte[] png, int width, int height, String cssClass, String alt) {
        out.append("<img class=\"").append(cssClass).append("\" width=\"").append(width)
                .append("\" height=\"").append(height).append("\" alt=\"").append(Text.html(alt))
                .append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png))
                .append("\">");
    }

    /** A PASS / WARN / FAIL / SKIP badge. */
    static String badge(SanityCheck.Status status) {
        String name = status == null ? "UNKNOWN" : status.name();
        return "<span class=\"badge " + name.toLowerCase(Locale.ROOT) + "\">" + Text.html(name) + "</span>";
    }

    /** The binomial standard error √(p(1−p)/n) of a fraction over the report's n samples. */
    double standardError(double p) {
        return report.n() == 0 ? Double.NaN : Math.sqrt(p * (1 - p) / report.n());
    }

    String className(int c) {
        return c >= 0 && c < report.classNames().size() ? report.classNames().get(c) : "class " + c;
    }

    List<SanityCheck> checks() {
        return report.sanityChecks() == null ? List.of() : report.sanityChecks();
    }

    Provenance provenance() {
        return report.provenance();
    }

    /** The ε list, e.g. "0.05, 0.15". */
    String epsilonList() {
        StringBuilder text = new StringBuilder();
        for (float epsilon : report.epsilons()) {
            text.append(text.length() > 0 ? ", " : "").append(Text.epsilon(epsilon));
        }
        return text.toString();
    }

    /** The suite's attacks in order, e.g. "fgsm → pgd". */
    String attackNames() {
        StringBuilder text = new StringBuilder();
        for (AttackOutcome outcome : report.results().get(0).attacks()) {
            text.append(text.length() > 0 ? " → " : "").append(outcome.name());
        }
        return text.toString();
    }
}
