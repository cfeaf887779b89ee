package org.parry.report;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.parry.detect.CalibratedDetector;
import org.parry.detect.DetectionResult;
import org.parry.detect.DetectionSummary;
import org.parry.eval.EvaluationReport;

/**
 * Detectors of adversarial inputs (Aldahdooh et al., "Adversarial example detection for DNN
 * models: a review and experimental comparison", AI Review 2022), when the evaluation had any:
 * the detectors' cards, then per detector a table with one row per attack and the modes
 * (oblivious, adaptive) side by side in every metric, and its ROC curves. Shown only for a
 * report with {@link EvaluationReport#detection()}.
 */
final class DetectionSection implements ReportSection {

    /** A column group of the table: one cell per mode. */
    private record Metric(String heading, Function<DetectionResult, String> value) {}

    private static final List<Metric> METRICS = List.of(
            new Metric("AUC", r -> Text.decimal(r.auc(), 3)),
            new Metric("TPR at 5% FPR", r -> Text.percent(r.tprAt5())),
            new Metric("TPR at 1% FPR", r -> Text.percent(r.tprAt1())),
            new Metric("detection rate (successful)", r -> Text.percent(r.detectionRate())),
            new Metric("detection rate (all)", r -> Text.percent(r.detectionRateAll())),
            new Metric("successful / attacked",
                    r -> Text.count(r.successful()) + " / " + Text.count(r.attacked())),
            new Metric("guarded accuracy", r -> Text.percent(r.guardedAccuracy())),
            new Metric("undefended accuracy", r -> Text.percent(r.undefendedAccuracy())));

    @Override
    public String id() {
        return "detection";
    }

    @Override
    public String title() {
        return "Detection of adversarial inputs";
    }

    @Override
    public String label() {
        return "Detection";
    }

    @Override
    public boolean appliesTo(EvaluationReport report) {
        return report.detection() != null;
    }

    @Override
    public void render(ReportPage page) throws IOException {
        DetectionSummary summary = page.report().detection();
        StringBuilder out = page.out();
        out.append("<p class=\"note top\">Each detector flags an input whose score exceeds its "
                + "threshold θ, fitted so that ")
                .append(Text.html(Text.percent(summary.falsePositiveRate())))
                .append(" of clean validation images are flagged. Negatives: ")
                .append(Text.count(summary.cleanImages())).append(" held-out clean test images; "
                + "positives: the adversarial examples of the clean-correct test images. "
                + "<em>Oblivious</em> examples are crafted against the classifier alone, "
                + "<em>adaptive</em> ones against classifier and detector together (Carlini and "
                + "Wagner, AISec 2017). AUC and TPR at a fixed FPR are over the successful "
                + "examples (those that fool the classifier), TPR with the threshold refitted on the "
                + "clean test scores; the detection rates use θ. Guarded accuracy: the share "
                + "of all test images that are classified correctly and not flagged when clean, and "
                + "whose adversarial example is flagged or still classified correctly; undefended: the classifier's accuracy under "
                + "the same attack without the detector.</p>\n");
        cards(page, summary.detectors());
        if (summary.results().isEmpty()) {
            out.append("<p>No detector was run against an attack.</p>\n");
            return;
        }
        for (String detector : detectors(summary)) {
            List<DetectionResult> results = summary.results().stream()
                    .filter(r -> r.detector().equals(detector)).toList();
            if (results.isEmpty()) {
                continue;
            }
            out.append("<h3>").append(Text.html(detector)).append("</h3>\n");
            table(page, results);
            page.image(Charts.roc(results), Charts.WIDTH, Charts.HEIGHT, "chart",
                    "ROC curves of " + detector);
        }
        out.append("<p class=\"note\">ROC curves: solid lines are oblivious attacks, dashed "
                + "lines adaptive ones; the dotted diagonal is a detector that guesses.</p>\n");
    }

    /** The detectors' settings, training attacks, fitting data, threshold and fit time. */
    private static void cards(ReportPage page, List<CalibratedDetector.Card> cards) {
        if (cards.isEmpty()) {
            return;
        }
        StringBuilder out = page.out();
        out.append("<div class=\"scroll\"><table class=\"compact\"><thead><tr><th>detector</th>"
                + "<th>settings</th><th>trained on attacks</th><th>fitted on</th>"
                + "<th class=\"num\">validation images</th><th class=\"num\">target FPR</th>"
                + "<th class=\"num\">threshold θ</th><th class=\"num\">fit time</th>"
                + "</tr></thead><tbody>\n");
        for (CalibratedDetector.Card card : cards) {
            out.append("<tr><td><b>").append(Text.html(card.detector())).append("</b></td><td><code>")
                    .append(Text.html(ProvenanceSection.settings(card.settings())))
                    .append("</code></td><td>").append(Text.html(card.trainAttacks() == null
                            || card.trainAttacks().isEmpty() ? "none (clean images only)"
                            : String.join(", ", card.trainAttacks())))
                    .append("</td><td>").append(Text.html(Text.count(card.fitImages()) + " images of "
                            + card.dataset())).append("</td>");
            page.num(Text.count(card.validationImages()));
            page.num(Text.percent(card.falsePositiveRate()));
            page.num(Text.significant(card.threshold(), 4));
            page.num(Text.seconds(card.fitSeconds()));
            out.append("</tr>\n");
        }
        out.append("</tbody></table></div>\n");
    }

    /** One detector's table: a row per attack, each metric's modes side by side. */
    private static void table(ReportPage page, List<DetectionResult> results) {
        StringBuilder out = page.out();
        List<String> modes = modes(results);
        out.append("<div class=\"scroll\"><table class=\"attacks\">\n<thead><tr>")
                .append("<th rowspan=\"2\">attack</th>");
        for (Metric metric : METRICS) {
            out.append("<th colspan=\"").append(modes.size()).append("\" class=\"group\">")
                    .append(Text.html(metric.heading())).append("</th>");
        }
        out.append("<th rowspan=\"2\" class=\"num\">threshold θ</th>")
                .append("<th rowspan=\"2\" class=\"num\">clean FPR</th>")
                .append("<th rowspan=\"2\" class=\"num\">scoring cost per image</th></tr>\n<tr>");
        for (int m = 0; m < METRICS.size(); m++) {
            for (String mode : modes) {
                out.append("<th class=\"num\">").append(Text.html(mode)).append("</th>");
            }
        }
        out.append("</tr></thead>\n<tbody>\n");
        for (String attack : distinct(results, DetectionResult::attack)) {
            List<DetectionResult> row = new ArrayList<>();
            for (String mode : modes) {
                row.add(results.stream().filter(r -> r.attack().equals(attack)
                        && r.mode().equals(mode)).findFirst().orElse(null));
            }
            out.append("<tr><td><b>").append(Text.html(attack)).append("</b></td>");
            for (Metric metric : METRICS) {
                for (DetectionResult result : row) {
                    page.num(result == null ? Text.NONE : metric.value().apply(result));
                }
            }
            page.num(shared(row, r -> Text.significant(r.threshold(), 4)));
            page.num(shared(row, r -> Text.percent(r.cleanFpr())));
            page.num(shared(row, r -> Text.significant(r.scoreMillisPerImage(), 3) + " ms"));
            out.append("</tr>\n");
        }
        out.append("</tbody></table></div>\n");
    }

    /**
     * A value the modes share (the threshold, the clean FPR, the scoring cost): once when the modes
     * agree, else each mode's, separated by " / " in the columns' order.
     */
    private static String shared(List<DetectionResult> row, Function<DetectionResult, String> value) {
        Set<String> values = new LinkedHashSet<>();
        for (DetectionResult result : row) {
            if (result != null) {
                values.add(value.apply(result));
            }
        }
        return String.join(" / ", values);
    }

    /** The detectors in card order, then any that has results but no card. */
    private static List<String> detectors(DetectionSummary summary) {
        Set<String> names = new LinkedHashSet<>();
        summary.detectors().forEach(card -> names.add(card.detector()));
        summary.results().forEach(result -> names.add(result.detector()));
        return List.copyOf(names);
    }

    /** Oblivious, adaptive, then any other mode, as far as the results hold them. */
    private static List<String> modes(List<DetectionResult> results) {
        Set<String> modes = new LinkedHashSet<>();
        for (String known : List.of(DetectionResult.OBLIVIOUS, DetectionResult.ADAPTIVE)) {
            if (results.stream().anyMatch(r -> r.mode().equals(known))) {
                modes.add(known);
            }
        }
        modes.addAll(distinct(results, DetectionResult::mode));
        return List.copyOf(modes);
    }

    private static List<String> distinct(List<DetectionResult> results,
            Function<DetectionResult, String> key) {
        Set<String> values = new LinkedHashSet<>();
        results.forEach(r -> values.add(key.apply(r)));
        return List.copyOf(values);
    }
}
