package org.parry.report;

import java.io.IOException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.parry.data.ImageDataset;
import org.parry.eval.AttackOutcome;
import org.parry.eval.EpsilonResult;
import org.parry.eval.EvaluationReport;
import org.parry.eval.Evaluator;
import org.parry.eval.HypocriticalRisk;
import org.parry.eval.PerturbationStats;
import org.parry.eval.Provenance;
import org.parry.eval.SanityCheck;
import org.parry.eval.WorstCase;

/**
 * {@code index.html}: one self-contained page (no external script, style sheet, font or image;
 * images are PNG data URIs; a Content-Security-Policy forbids anything else), with every text from
 * the report escaped. A small inline script marks {@code body[data-images-loaded]} with
 * "loaded/total" once the page has loaded, so a headless browser can check the images.
 */
final class HtmlReport {

    /** Broken samples shown in the gallery, at most. */
    static final int GALLERY_SIZE = 8;

    /** Above this many classes the confusion matrix is replaced by its most frequent pairs. */
    static final int MAX_MATRIX_CLASSES = 20;

    private final EvaluationReport report;
    private final Evaluator.Run run;
    private final ImageDataset data;
    private final int[] classCounts;
    private final StringBuilder out = new StringBuilder(1 << 17);

    private HtmlReport(EvaluationReport report, Evaluator.Run run, ImageDataset data) {
        this.report = report;
        this.run = run;
        this.data = data;
        this.classCounts = new int[report.classNames().size()];
        for (int label : run.labels()) {
            classCounts[label]++;
        }
    }

    /** The page. */
    static String render(EvaluationReport report, Evaluator.Run run, ImageDataset data)
            throws IOException {
        return new HtmlReport(report, run, data).page();
    }

    private String page() throws IOException {
        String title = "Robustness of " + modelName() + " on " + datasetName();
        out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ")
                .append("img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n")
                .append("<meta name=\"generator\" content=\"Parry ")
                .append(Text.html(provenance() == null ? "" : provenance().parryVersion()))
                .append("\">\n<title>").append(Text.html(title)).append("</title>\n<style>\n")
                .append(STYLE).append("</style>\n</head>\n<body>\n");
        header(title);
        out.append("<main class=\"wrap\">\n");
        summary();
        attackTables();
        curve();
        perClass();
        confusion();
        gallery();
        hypocritical();
        sanityChecks();
        provenanceSection();
        out.append("</main>\n");
        footer();
        out.append("<script>\n").append(SCRIPT).append("</script>\n</body>\n</html>\n");
        return out.toString();
    }

    // ---------------------------------------------------------------- header and summary

    private void header(String title) {
        out.append("<header>\n<div class=\"wrap\">\n<div class=\"kicker\">Parry robustness report</div>\n")
                .append("<h1>").append(Text.html(title)).append("</h1>\n<div class=\"sub\">")
                .append("<span>threat model <b>").append(Text.html(Text.norm(report.norm())))
                .append("</b></span><span>ε ∈ {").append(Text.html(epsilonList())).append("}</span>")
                .append("<span>suite <b>").append(Text.html(report.suite())).append("</b>")
                .append(" (").append(Text.html(attackNames())).append(")</span>")
                .append("<span>n = ").append(Text.count(report.n())).append("</span>");
        if (!checks().isEmpty()) {
            out.append("<span class=\"checks\">sanity checks ");
            for (SanityCheck.Status status : SanityCheck.Status.values()) {
                long count = checks().stream().filter(c -> c.status() == status).count();
                if (count > 0) {
                    out.append(badge(status)).append("&nbsp;").append(count).append(' ');
                }
            }
            out.append("</span>");
        }
        out.append("</div>\n</div>\n</header>\n<nav><div class=\"wrap\">");
        String[][] links = {{"summary", "Summary"}, {"attacks", "Attacks"}, {"curve", "Accuracy vs ε"},
            {"classes", "Per class"}, {"confusion", "Confusion"}, {"gallery", "Gallery"},
            {"hypocritical", "Hypocritical risk"}, {"checks", "Sanity checks"},
            {"provenance", "Provenance"}};
        for (String[] link : links) {
            out.append("<a href=\"#").append(link[0]).append("\">").append(Text.html(link[1]))
                    .append("</a>");
        }
        out.append("</div></nav>\n");
    }

    private void summary() {
        open("summary", "Summary");
        out.append("<div class=\"metrics\">\n");
        metric("Clean accuracy", Text.percent(report.cleanAccuracy()),
                Text.count(report.cleanCorrect()) + " of " + Text.count(report.n()) + " correct · "
                        + Text.plusMinus(standardError(report.cleanAccuracy())) + " pp",
                "clean");
        for (EpsilonResult result : report.results()) {
            metric("Robust accuracy · ε = " + Text.epsilon(result.epsilon()),
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
        metric("Attack time", Text.seconds(seconds), Text.count(gradients) + " gradients · "
                + Text.count(queries) + " forward passes", "");
        out.append("</div>\n<p class=\"note\">Robust accuracy is the share of <em>all</em> n samples "
                + "that are classified correctly and survive every attack of the suite (worst case per "
                + "sample, attacks run in order on the samples still robust). ± is one binomial "
                + "standard error, √(p(1−p)/n), in percentage points.</p>\n");
        close();
    }

    private void metric(String label, String value, String detail, String kind) {
        out.append("<div class=\"metric ").append(kind).append("\"><div class=\"label\">")
                .append(Text.html(label)).append("</div><div class=\"value\">").append(Text.html(value))
                .append("</div><div class=\"detail\">").append(Text.html(detail)).append("</div></div>\n");
    }

    // ---------------------------------------------------------------- per-attack tables

    private void attackTables() {
        open("attacks", "Robust accuracy by attack");
        out.append("<p class=\"note top\">Attacks in suite order. Each runs only on the samples every "
                + "earlier attack left robust, so robust accuracy is cumulative: the last row is the "
                + "worst case. Success = broken / attacked. Norms are over the perturbations this "
                + "attack found. Gradients count images through a forward and backward pass, queries "
                + "images through a forward pass only.</p>\n");
        for (EpsilonResult result : report.results()) {
            attackTable(result);
        }
        close();
    }

    private void attackTable(EpsilonResult result) {
        double totalSeconds = result.attacks().stream().mapToDouble(AttackOutcome::seconds).sum();
        out.append("<h3>ε = ").append(Text.html(Text.epsilon(result.epsilon()))).append("</h3>\n")
                .append("<div class=\"scroll\"><table class=\"attacks\">\n<thead><tr>")
                .append("<th rowspan=\"2\">#</th><th rowspan=\"2\">attack</th>")
                .append("<th rowspan=\"2\" class=\"num\">robust accuracy</th>")
                .append("<th rowspan=\"2\" class=\"num\">broken</th>")
                .append("<th rowspan=\"2\" class=\"num\">attacked</th>")
                .append("<th rowspan=\"2\" class=\"num\">success</th>")
                .append("<th colspan=\"3\" class=\"group\">L2 of found perturbations</th>")
                .append("<th colspan=\"3\" class=\"group\">L∞ of found perturbations</th>")
                .append("<th rowspan=\"2\" class=\"num\">gradients</th>")
                .append("<th rowspan=\"2\" class=\"num\">queries</th>")
                .append("<th rowspan=\"2\" class=\"num\">time</th>")
                .append("<th rowspan=\"2\" class=\"num\">share</th></tr>\n<tr>")
                .append("<th class=\"num\">median</th><th class=\"num\">mean</th><th class=\"num\">max</th>")
                .append("<th class=\"num\">median</th><th class=\"num\">mean</th><th class=\"num\">max</th>")
                .append("</tr></thead>\n<tbody>\n");
        long broken = 0;
        long gradients = 0;
        long queries = 0;
        for (int a = 0; a < result.attacks().size(); a++) {
            AttackOutcome o = result.attacks().get(a);
            broken += o.broken();
            gradients += o.gradients();
            queries += o.queries();
            out.append("<tr><td class=\"num\">").append(a + 1).append("</td><td><b>")
                    .append(Text.html(o.name())).append("</b></td>");
            num(Text.percent(o.robustAccuracy()) + " <span class=\"se\">"
                    + Text.html(Text.plusMinus(o.standardError())) + "</span>", true);
            num(Text.count(o.broken()));
            num(Text.count(o.attacked()));
            num(Text.percent(o.attacked() == 0 ? Double.NaN : (double) o.broken() / o.attacked()));
            stats(o.l2());
            stats(o.linf());
            num(Text.count(o.gradients()));
            num(Text.count(o.queries()));
            num(Text.seconds(o.seconds()));
            num(Text.percent(totalSeconds > 0 ? o.seconds() / totalSeconds : Double.NaN));
            out.append("</tr>\n");
        }
        int attacked = result.attacks().isEmpty() ? 0 : result.attacks().get(0).attacked();
        out.append("<tr class=\"total\"><td></td><td class=\"nowrap\">worst case</td>");
        num(Text.percent(result.robustAccuracy()) + " <span class=\"se\">"
                + Text.html(Text.plusMinus(result.standardError())) + "</span>", true);
        num(Text.count(broken));
        num(Text.count(attacked));
        num(Text.percent(attacked == 0 ? Double.NaN : (double) broken / attacked));
        out.append("<td colspan=\"6\"></td>");
        num(Text.count(gradients));
        num(Text.count(queries));
        num(Text.seconds(totalSeconds));
        num(totalSeconds > 0 ? "100%" : Text.NONE);
        out.append("</tr>\n</tbody></table></div>\n");
    }

    private void stats(PerturbationStats stats) {
        boolean none = stats == null || stats.count() == 0;
        num(none ? Text.NONE : Text.decimal(stats.median(), 3));
        num(none ? Text.NONE : Text.decimal(stats.mean(), 3));
        num(none ? Text.NONE : Text.decimal(stats.max(), 3));
    }

    private void num(String text) {
        num(Text.html(text), true);
    }

    private void num(String html, boolean alreadyEscaped) {
        out.append("<td class=\"num\">").append(alreadyEscaped ? html : Text.html(html)).append("</td>");
    }

    // ---------------------------------------------------------------- charts

    private void curve() throws IOException {
        open("curve", "Accuracy versus ε");
        image(Charts.accuracyVersusEpsilon(report), Charts.WIDTH, Charts.HEIGHT, "chart",
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
        num("0");
        num(Text.percent(report.cleanAccuracy()) + " (clean)");
        num(Text.plusMinus(standardError(report.cleanAccuracy())) + " pp");
        num(Text.count(report.cleanCorrect()));
        num(Text.NONE);
        out.append("</tr>\n");
        for (EpsilonResult result : report.results()) {
            out.append("<tr>");
            num(Text.epsilon(result.epsilon()));
            num(Text.percent(result.robustAccuracy()));
            num(Text.plusMinus(result.standardError()) + " pp");
            num(Text.count(result.robust()));
            num(Text.percent(result.attackSuccessRate()) + " of " + Text.count(report.cleanCorrect()));
            out.append("</tr>\n");
        }
        out.append("</tbody></table></div>\n");
        close();
    }

    private void perClass() throws IOException {
        open("classes", "Per-class robustness");
        EpsilonResult first = report.results().get(0);
        image(Charts.perClass(report, classCounts, 0), Charts.WIDTH, Charts.HEIGHT, "chart",
                "Clean and robust accuracy per class");
        Set<Integer> weakest = weakestClasses(first.perClassRobustAccuracy());
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
                    .append(Text.html(className(c)));
            if (weak) {
                out.append(" <span class=\"tag\">weakest</span>");
            }
            out.append("</td>");
            num(Text.count(classCounts[c]));
            num(Text.percent(report.perClassCleanAccuracy()[c]));
            for (EpsilonResult result : report.results()) {
                num(Text.percent(result.perClassRobustAccuracy()[c]));
            }
            out.append("</tr>\n");
        }
        out.append("</tbody></table></div>\n<p class=\"note\">Accuracy over the samples of each true "
                + "class; the chart is at the first ε, ").append(Text.html(Text.epsilon(first.epsilon())))
                .append(". ").append(weakest.isEmpty()
                        ? "No single weakest class: many classes tie for the lowest robust accuracy."
                        : "The weakest class has the lowest robust accuracy there.").append("</p>\n");
        close();
    }

    /**
     * The classes with the lowest robust accuracy (over classes with samples), marked only when
     * at most three tie: a mark on most classes would say nothing.
     */
    private Set<Integer> weakestClasses(double[] robust) {
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

    // ---------------------------------------------------------------- confusion under attack

    private void confusion() {
        open("confusion", "Class-pair confusion under attack");
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
            topPairs(result.confusionUnderAttack());
            if (classCounts.length <= MAX_MATRIX_CLASSES) {
                matrix(result.confusionUnderAttack());
            }
            if (e > 0) {
                out.append("</details>\n");
            }
        }
        close();
    }

    private void matrix(long[][] counts) {
        int k = counts.length;
        out.append("<div class=\"scroll\"><table class=\"confusion\"><thead><tr>")
                .append("<th class=\"corner\">predicted →<br>true ↓</th>");
        for (int c = 0; c < k; c++) {
            out.append("<th>").append(Text.html(className(c))).append("</th>");
        }
        out.append("<th class=\"num\">clean-correct</th></tr></thead><tbody>\n");
        for (int t = 0; t < k; t++) {
            long rowTotal = 0;
            for (long count : counts[t]) {
                rowTotal += count;
            }
            out.append("<tr><th>").append(Text.html(className(t))).append("</th>");
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
                        .append(Text.html(className(t) + " → " + className(p) + ": " + count))
                        .append("\">").append(count).append("</td>");
            }
            out.append("<td class=\"num\">").append(Text.count(rowTotal)).append("</td></tr>\n");
        }
        out.append("</tbody></table></div>\n");
    }

    /** The most frequent off-diagonal pairs, in a sentence. */
    private void topPairs(long[][] counts) {
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
                out.append(i > 0 ? ", " : "").append("<b>").append(Text.html(className((int) pair[1])))
                        .append(" → ").append(Text.html(className((int) pair[2]))).append("</b> (")
                        .append(pair[0]).append(')');
            }
            out.append('.');
        }
        out.append("</p>\n");
    }

    // ---------------------------------------------------------------- gallery

    private void gallery() throws IOException {
        open("gallery", "Adversarial examples");
        EpsilonResult result = run.results().get(0);
        WorstCase worst = run.worstCases().get(0);
        List<Integer> samples = gallerySamples(worst, GALLERY_SIZE);
        Tiles tiles = new Tiles(data.channels(), data.height(), data.width());
        if (samples.isEmpty()) {
            out.append("<p>No sample was broken at ε = ").append(Text.html(Text.epsilon(result.epsilon())))
                    .append(".</p>\n");
            close();
            return;
        }
        out.append("<p class=\"note top\">Up to ").append(GALLERY_SIZE).append(" samples broken at ε = ")
                .append(Text.html(Text.epsilon(result.epsilon())))
                .append(", one per true class first. Images enlarged ").append(tiles.scale())
                .append("× (nearest neighbour). ");
        out.append(data.channels() >= 3
                ? "Perturbation: 0.5 + δ / (2 max|δ|) per channel, mid-grey = unchanged."
                : "Perturbation scaled to its largest value: red = brighter, blue = darker, "
                        + "white = unchanged.");
        out.append("</p>\n<div class=\"gallery\">\n");
        for (int i : samples) {
            float[] clean = data.image(i);
            float[] adversarial = worst.adversarial(i);
            float max = Tiles.maxAbsDifference(clean, adversarial);
            String attack = result.attacks().get(worst.brokenBy(i)).name();
            out.append("<figure class=\"sample\"><div class=\"tiles\">");
            tile(tiles.image(clean), tiles, "clean", "sample " + i + ", clean");
            tile(tiles.image(adversarial), tiles, "adversarial", "sample " + i + ", adversarial");
            tile(tiles.perturbation(clean, adversarial), tiles,
                    max > 0 ? String.format(Locale.ROOT, "perturbation ×%.1f", 1 / max) : "perturbation",
                    "sample " + i + ", perturbation");
            out.append("</div><figcaption>");
            caption("sample", "#" + i, null);
            caption("true class", className(worst.label(i)), "strong");
            caption("clean pred.", className(worst.cleanPrediction(i)), "right");
            caption("adversarial", className(worst.prediction(i)), "wrong");
            caption("broken by", attack, "strong");
            caption("L2 / L∞", Text.decimal(worst.l2(i), 3) + " / " + Text.decimal(worst.linf(i), 3), null);
            out.append("</figcaption></figure>\n");
        }
        out.append("</div>\n");
        close();
    }

    private void caption(String key, String value, String cssClass) {
        out.append("<div><span class=\"k\">").append(Text.html(key)).append("</span> ")
                .append(cssClass == null ? "<span>" : "<span class=\"" + cssClass + "\">")
                .append(Text.html(value)).append("</span></div>");
    }

    /** Broken samples, at most {@code max}: one per true class in index order first, then the rest. */
    static List<Integer> gallerySamples(WorstCase worst, int max) {
        List<Integer> picked = new ArrayList<>();
        Set<Integer> classes = new HashSet<>();
        for (int i = 0; i < worst.size() && picked.size() < max; i++) {
            if (worst.brokenBy(i) >= 0 && classes.add(worst.label(i))) {
                picked.add(i);
            }
        }
        for (int i = 0; i < worst.size() && picked.size() < max; i++) {
            if (worst.brokenBy(i) >= 0 && !picked.contains(i)) {
                picked.add(i);
            }
        }
        picked.sort(null);
        return picked;
    }

    private void tile(byte[] png, Tiles tiles, String caption, String alt) {
        out.append("<div class=\"tile\">");
        image(png, tiles.tileWidth(), tiles.tileHeight(), "pixels", alt);
        out.append("<div>").append(Text.html(caption)).append("</div></div>");
    }

    // ---------------------------------------------------------------- hypocritical risk

    private void hypocritical() {
        open("hypocritical", "Hypocritical risk");
        HypocriticalRisk risk = report.hypocritical();
        if (risk == null) {
            out.append("<p>Not computed.</p>\n");
            close();
            return;
        }
        out.append("<div class=\"metrics\">\n");
        boolean noMistake = risk.misclassified() == 0;
        metric("Hypocritical risk", noMistake ? Text.NONE : Text.percent(risk.risk()),
                noMistake ? "the model makes no clean mistake to hide"
                        : Text.count(risk.fixed()) + " of " + Text.count(risk.misclassified())
                                + " clean mistakes made correct", "");
        metric("Unnormalized risk", Text.percent(risk.unnormalizedRisk()),
                "fixed / n = " + Text.count(risk.fixed()) + " / " + Text.count(risk.n()), "");
        metric("Accuracy after the false friend", Text.percent(risk.hypocriticalAccuracy()),
                "clean " + Text.percent(risk.cleanAccuracy()) + " · " + Text.count(risk.flips())
                        + " correct samples flipped", "");
        out.append("</div>\n<p class=\"note\">A hypocritical perturbation (Tao et al., AAAI 2022) of "
                + "budget ε = ").append(Text.html(Text.epsilon(report.hypocriticalEpsilon())))
                .append(" in ").append(Text.html(Text.norm(report.norm())))
                .append(" tries to make each clean mistake look correct. A high risk means small, "
                        + "invisible changes could hide the model's errors from whoever evaluates it; "
                        + "flips of correct samples should be near zero.</p>\n");
        close();
    }

    // ---------------------------------------------------------------- sanity checks

    private void sanityChecks() {
        open("checks", "Sanity checks");
        if (checks().isEmpty()) {
            out.append("<p>No sanity check was run.</p>\n");
            close();
            return;
        }
        out.append("<p class=\"note top\">Automatable checks that reveal a broken evaluation or "
                + "gradient masking (Carlini et al. 2019; Tramèr et al. 2020; AutoAttack's flags). A "
                + "FAIL means the robust accuracy above is not trustworthy as it stands; a SKIP says why "
                + "a check did not run (<code>--sanity off</code>, or nothing to check).</p>\n")
                .append("<table class=\"checks\"><thead><tr><th>status</th><th>check</th>"
                        + "<th>explanation</th></tr></thead><tbody>\n");
        for (SanityCheck check : checks()) {
            out.append("<tr><td>").append(badge(check.status())).append("</td><td><code>")
                    .append(Text.html(check.id())).append("</code></td><td>")
                    .append(Text.html(check.explanation())).append("</td></tr>\n");
        }
        out.append("</tbody></table>\n");
        close();
    }

    private static String badge(SanityCheck.Status status) {
        String name = status == null ? "UNKNOWN" : status.name();
        return "<span class=\"badge " + name.toLowerCase(Locale.ROOT) + "\">" + Text.html(name) + "</span>";
    }

    // ---------------------------------------------------------------- provenance

    private void provenanceSection() {
        open("provenance", "Provenance");
        Provenance p = provenance();
        out.append("<table class=\"kv\"><tbody>\n");
        if (p != null) {
            row("Model", p.model());
            row("Model SHA-256", p.modelSha256(), true);
            if (p.defense() != null) {
                row("Defense", defense(p.defense()));
            }
            if (p.attackLoss() != null) {
                row("Attack loss", p.attackLoss());
            }
            row("Data set", p.dataset() + " (" + Text.count(report.n()) + " samples, "
                    + report.classNames().size() + " classes)");
            row("Data SHA-256", p.dataSha256(), true);
            row("Seed", Long.toString(p.seed()));
            row("Parry", p.parryVersion());
            row("DJL", p.djlVersion());
            row("PyTorch (libtorch)", p.pytorchVersion());
            row("Java", p.javaVersion());
            row("Operating system", p.os());
            row("CPU", p.cpu());
            row("Engine self-test", p.engineSelfTest() == null ? "not recorded" : p.engineSelfTest());
            row("Started", p.startedAt());
            row("Finished", p.finishedAt() + duration(p.startedAt(), p.finishedAt()));
        } else {
            row("Data set", data.name() + " (" + Text.count(report.n()) + " samples)");
        }
        row("Suite", report.suite() + " (" + attackNames() + ")");
        row("Threat model", Text.norm(report.norm()) + ", ε ∈ {" + epsilonList() + "}");
        row("Report schema", Integer.toString(report.schema()));
        out.append("</tbody></table>\n<details><summary>Attack settings (every setting, defaults "
                + "included)</summary>\n<table class=\"compact\"><thead><tr><th class=\"num\">ε</th>"
                + "<th>#</th><th>attack</th><th>settings</th></tr></thead><tbody>\n");
        for (EpsilonResult result : report.results()) {
            for (int a = 0; a < result.attacks().size(); a++) {
                AttackOutcome o = result.attacks().get(a);
                out.append("<tr>");
                num(Text.epsilon(result.epsilon()));
                out.append("<td>").append(a + 1).append("</td><td><b>").append(Text.html(o.name()))
                        .append("</b></td><td><code>");
                StringBuilder settings = new StringBuilder();
                if (o.settings() != null) {
                    for (Map.Entry<String, Object> setting : o.settings().entrySet()) {
                        settings.append(settings.length() > 0 ? ", " : "").append(setting.getKey())
                                .append('=').append(setting.getValue());
                    }
                }
                out.append(Text.html(settings.toString())).append("</code></td></tr>\n");
            }
        }
        out.append("</tbody></table>\n</details>\n");
        close();
    }

    private void row(String key, String value) {
        row(key, value, false);
    }

    private void row(String key, String value, boolean code) {
        out.append("<tr><th>").append(Text.html(key)).append("</th><td>")
                .append(code ? "<code>" : "").append(Text.html(value == null ? Text.NONE : value))
                .append(code ? "</code>" : "").append("</td></tr>\n");
    }

    private static String duration(String started, String finished) {
        try {
            Duration d = Duration.between(OffsetDateTime.parse(started), OffsetDateTime.parse(finished));
            return " (" + Text.seconds(d.toMillis() / 1000.0) + ")";
        } catch (DateTimeParseException | NullPointerException e) {
            return "";
        }
    }

    private void footer() {
        out.append("<footer class=\"wrap\">Written by Parry ")
                .append(Text.html(provenance() == null ? "" : provenance().parryVersion()))
                .append(" · report schema ").append(report.schema())
                .append(" · the numbers in machine-readable form: <a href=\"report.json\">report.json</a>, "
                        + "<a href=\"results.csv\">results.csv</a>, <a href=\"attacks.csv\">attacks.csv</a>")
                .append("</footer>\n");
    }

    // ---------------------------------------------------------------- helpers

    private void open(String id, String title) {
        out.append("<section class=\"card\" id=\"").append(id).append("\">\n<h2>").append(Text.html(title))
                .append("</h2>\n");
    }

    private void close() {
        out.append("</section>\n");
    }

    private void image(byte[] png, int width, int height, String cssClass, String alt) {
        out.append("<img class=\"").append(cssClass).append("\" width=\"").append(width)
                .append("\" height=\"").append(height).append("\" alt=\"").append(Text.html(alt))
                .append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png))
                .append("\">");
    }

    private double standardError(double p) {
        return report.n() == 0 ? Double.NaN : Math.sqrt(p * (1 - p) / report.n());
    }

    private String className(int c) {
        return c >= 0 && c < report.classNames().size() ? report.classNames().get(c) : "class " + c;
    }

    private List<SanityCheck> checks() {
        return report.sanityChecks() == null ? List.of() : report.sanityChecks();
    }

    /**
     * The stages of a defended model in order, each with its settings and how every attack's
     * gradient passed it, and the EOT draws, e.g. "jpeg (quality=75), gradients by bpda &gt;
     * small-cnn; 1 draw per gradient".
     */
    @SuppressWarnings("unchecked")
    private static String defense(Map<String, Object> defense) {
        StringBuilder text = new StringBuilder();
        for (Map<String, Object> stage : (List<Map<String, Object>>) defense.get("stages")) {
            List<String> settings = new ArrayList<>();
            ((Map<String, Object>) stage.get("settings")).forEach((k, v) -> settings.add(k + "=" + v));
            text.append(stage.get("name")).append(" (").append(String.join(", ", settings))
                    .append("), gradients by ").append(stage.get("gradients")).append(" > ");
        }
        Object draws = defense.get("eot");
        return text.append(defense.get("network")).append("; every attack's gradient averaged over ")
                .append(draws).append(" draw").append(Integer.valueOf(1).equals(draws) ? "" : "s")
                .append(" (EOT)").toString();
    }

    private Provenance provenance() {
        return report.provenance();
    }

    private String modelName() {
        String model = provenance() == null ? null : provenance().model();
        if (model == null || model.isBlank()) {
            return "the model";
        }
        String trimmed = model.replaceAll("[/\\\\]+$", "");
        int slash = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
        return slash >= 0 && slash < trimmed.length() - 1 ? trimmed.substring(slash + 1) : trimmed;
    }

    private String datasetName() {
        String dataset = provenance() == null ? null : provenance().dataset();
        return dataset == null || dataset.isBlank() ? data.name() : dataset;
    }

    private String epsilonList() {
        StringBuilder text = new StringBuilder();
        for (float epsilon : report.epsilons()) {
            text.append(text.length() > 0 ? ", " : "").append(Text.epsilon(epsilon));
        }
        return text.toString();
    }

    private String attackNames() {
        StringBuilder text = new StringBuilder();
        for (AttackOutcome outcome : report.results().get(0).attacks()) {
            text.append(text.length() > 0 ? " → " : "").append(outcome.name());
        }
        return text.toString();
    }

    /** Marks body[data-images-loaded] with "loaded/total" once the page has loaded. */
    static final String SCRIPT = """
            window.addEventListener("load", function () {
              var images = document.images, loaded = 0;
              for (var i = 0; i < images.length; i++) {
                if (images[i].complete && images[i].naturalWidth > 0) { loaded++; }
              }
              document.body.dataset.imagesLoaded = loaded + "/" + images.length;
            });
            """;

    private static final String STYLE = """
            :root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --bg:#f3f5f8; --accent:#1d4e89;
                    --pass:#2e7d32; --warn:#b26a00; --fail:#c62828; }
            * { box-sizing: border-box; }
            html { scroll-behavior: smooth; }
            body { margin: 0; background: var(--bg); color: var(--ink);
                   font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
                         "Liberation Sans", "DejaVu Sans", Arial, sans-serif; }
            .wrap { max-width: 1240px; margin: 0 auto; padding: 0 24px; }
            header { background: #102a43; color: #fff; padding: 26px 0 20px; }
            header .kicker { text-transform: uppercase; letter-spacing: .12em; font-size: 11px;
                             color: #9fb3c8; font-weight: 600; }
            header h1 { margin: 4px 0 10px; font-size: 26px; font-weight: 600; }
            header .sub { display: flex; flex-wrap: wrap; gap: 6px 22px; color: #d9e2ec; font-size: 13.5px; }
            header .sub b { color: #fff; }
            nav { background: #fff; border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 2; }
            nav .wrap { display: flex; flex-wrap: wrap; gap: 2px 18px; padding-top: 9px; padding-bottom: 9px; }
            nav a { color: var(--accent); text-decoration: none; font-size: 13px; font-weight: 500; }
            nav a:hover { text-decoration: underline; }
            section.card { background: #fff; border: 1px solid var(--line); border-radius: 10px;
                           padding: 20px 24px 22px; margin: 20px 0; box-shadow: 0 1px 3px rgba(16,42,67,.05); }
            h2 { font-size: 18px; margin: 0 0 12px; font-weight: 600; }
            h3 { font-size: 14px; margin: 18px 0 8px; color: var(--accent); }
            p { margin: 8px 0; }
            p.note { color: var(--muted); font-size: 12.5px; margin: 10px 0 0; max-width: 900px; }
            p.note.top { margin: 0 0 10px; }
            .scroll { overflow-x: auto; }
            table { border-collapse: collapse; width: 100%; font-size: 13px; }
            table.attacks { font-size: 12.5px; }
            th, td { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
            thead th { font-weight: 600; color: var(--muted); background: #f8fafc; white-space: nowrap;
                       font-size: 12px; vertical-align: bottom; }
            th.group { text-align: center; border-bottom: 1px solid #cbd2d9; }
            td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
            tbody tr:hover td { background: #f8fafc; }
            tr.total td { font-weight: 600; border-top: 2px solid #cbd2d9; background: #f8fafc; }
            table.compact { width: auto; min-width: 50%; }
            .nowrap { white-space: nowrap; }
            .se { color: var(--muted); font-weight: 400; font-size: 12px; }
            .metrics { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 12px; }
            .metric { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: #fbfcfd; }
            .metric.clean { border-left: 4px solid #9aa5b1; }
            .metric.robust { border-left: 4px solid var(--accent); }
            .metric .label { font-size: 12.5px; color: var(--muted); font-weight: 600; }
            .metric .value { font-size: 28px; font-weight: 600; font-variant-numeric: tabular-nums; line-height: 1.3; }
            .metric .detail { font-size: 12px; color: var(--muted); }
            img.chart { display: block; max-width: 100%; height: auto; margin: 4px auto 0; }
            img.pixels { display: block; image-rendering: pixelated; border: 1px solid var(--line); }
            .badge { display: inline-block; min-width: 44px; text-align: center; padding: 1px 8px; border-radius: 10px;
                     font-size: 11px; font-weight: 700; letter-spacing: .05em; color: #fff; }
            .badge.pass { background: var(--pass); } .badge.warn { background: var(--warn); }
            .badge.fail { background: var(--fail); } .badge.unknown { background: #7b8794; }
            .badge.skip { background: #9aa5b1; }
            header .checks .badge { margin-left: 4px; }
            table.checks td:first-child { width: 70px; }
            table.checks td:nth-child(2) { white-space: nowrap; }
            tr.worst td { background: #fff5f5; }
            .tag { font-size: 10.5px; color: var(--fail); border: 1px solid #f3b0b0; border-radius: 8px;
                   padding: 0 6px; margin-left: 4px; text-transform: uppercase; letter-spacing: .04em; }
            table.confusion { width: auto; }
            table.confusion th, table.confusion td { text-align: center; padding: 4px 7px; border: 1px solid var(--line); }
            table.confusion tbody th { text-align: right; background: #f8fafc; color: var(--muted);
                                       font-weight: 600; white-space: nowrap; font-size: 12px; }
            table.confusion thead th { font-size: 11.5px; max-width: 90px; white-space: normal; }
            table.confusion thead th.corner { white-space: nowrap; max-width: none; font-weight: 400;
                                              text-align: right; font-size: 11px; }
            table.confusion td { min-width: 38px; font-variant-numeric: tabular-nums; }
            table.confusion td.zero { color: #cbd2d9; }
            table.confusion td.dark { color: #fff; font-weight: 600; }
            table.confusion td.num { text-align: right; }
            p.pairs { font-size: 13px; }
            details { margin-top: 12px; }
            summary { cursor: pointer; color: var(--accent); font-weight: 600; font-size: 13px; }
            .gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(500px, 1fr)); gap: 14px; }
            figure.sample { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 12px;
                            background: #fbfcfd; display: flex; flex-wrap: wrap; gap: 10px 16px;
                            align-items: flex-start; }
            .tiles { display: flex; gap: 8px; }
            .tile { font-size: 11px; color: var(--muted); text-align: center; }
            figcaption { font-size: 12.5px; line-height: 1.7; min-width: 120px; }
            figcaption .k { display: inline-block; min-width: 74px; }
            figcaption .k { color: var(--muted); }
            .right { color: var(--pass); font-weight: 600; }
            .wrong { color: var(--fail); font-weight: 600; }
            .strong { font-weight: 600; }
            table.kv { width: auto; }
            table.kv th { color: var(--muted); font-weight: 600; white-space: nowrap; padding-right: 28px; background: none; }
            code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px;
                   word-break: break-all; }
            footer { color: var(--muted); font-size: 12px; padding: 4px 24px 40px; }
            footer a { color: var(--accent); }
            """;
}
