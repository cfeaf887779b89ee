package org.parry.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.detect.CalibratedDetector;
import org.parry.detect.DetectionResult;
import org.parry.detect.DetectionSummary;
import org.parry.detect.Roc;
import org.parry.eval.EvaluationReport;

/**
 * The report of an evaluation with detectors: a hand-made {@link DetectionSummary} (two
 * detectors; magnet against fgsm and pgd, oblivious and adaptive; lid against fgsm, oblivious
 * only) on top of the real evaluation of {@link ReportFixture}. ROC curves come from
 * {@link Roc} over seeded Gaussian scores.
 */
class DetectionReportTest {

    /** Jackson's defaults: strict JSON, so a bare NaN token fails the parse. */
    private static final ObjectMapper STRICT = new ObjectMapper();

    private static final Pattern CELL = Pattern.compile("<td class=\"num\">(.*?)</td>");

    @Test
    void theSectionShowsTheCardsEveryResultWithTheModesSideBySideAndTheRocCharts(@TempDir Path dir)
            throws IOException {
        ReportFixture f = ReportFixture.get();
        EvaluationReport report = f.report.withDetection(summary());
        ReportWriter.write(dir, report, f.run, f.data);
        String html = Files.readString(dir.resolve(ReportWriter.HTML));

        assertThat(html).contains("<a href=\"#detection\">Detection</a>",
                "<section class=\"card\" id=\"detection\">\n<h2>Detection of adversarial inputs</h2>",
                "<a href=\"detection.csv\">detection.csv</a>");
        // the section sits between hypocritical risk and the sanity checks, in page and nav
        assertThat(html.indexOf("id=\"hypocritical\"")).isLessThan(html.indexOf("id=\"detection\""));
        assertThat(html.indexOf("id=\"detection\"")).isLessThan(html.indexOf("id=\"checks\""));
        assertThat(html.indexOf("href=\"#hypocritical\"")).isLessThan(html.indexOf("href=\"#detection\""));

        // cards: settings in their order, training attacks, fit data, θ, fit time; escaped
        String section = between(html, "id=\"detection\"", "</section>");
        assertThat(section).contains("<code>k=20, layer=stage-2, noise=0.01</code>",
                "fgsm, pgd", "none (clean images only)", "1,000 images of synthetic train",
                "<b>&lt;lid&gt;</b>", "12.3 s", "0.50 s")
                .doesNotContain("<lid>");
        assertThat(section).contains("threshold θ, fitted so that 5.0% of clean validation images",
                "Negatives: 40 held-out clean test images");

        // magnet: oblivious then adaptive under every metric; values hand-formatted
        String magnet = between(section, "<h3>magnet</h3>", "</table>");
        assertThat(cells(magnet, "fgsm")).containsExactly("0.913", "0.641", "81.3%", "25.0%",
                "62.5%", "12.5%", "78.3%", "30.0%", "70.0%", "20.0%", "23 / 30", "20 / 30",
                "68.8%", "40.6%", "15.6%", "9.4%", "1.235", "5.0%", "0.0421 ms");
        assertThat(cells(magnet, "pgd")).containsExactly("0.875", "0.500", "75.0%", "5.0%",
                "50.0%", "0.0%", "75.0%", "3.6%", "66.7%", "3.3%", "28 / 30", "28 / 30",
                "40.6%", "3.1%", "6.3%", "6.3%", "1.235", "5.0%", "0.0421 ms / 0.05 ms");
        assertThat(count(magnet, "<th class=\"num\">oblivious</th>")).isEqualTo(8);
        assertThat(count(magnet, "<th class=\"num\">adaptive</th>")).isEqualTo(8);

        // lid ran oblivious only: one column per metric, undefined numbers shown as a dash
        String lid = between(section, "<h3>&lt;lid&gt;</h3>", "</table>");
        assertThat(lid).doesNotContain("adaptive");
        assertThat(cells(lid, "fgsm")).containsExactly("0.702", "31.3%", "—", "43.5%", "33.3%",
                "23 / 30", "37.5%", "15.6%", "0.0001235", "6.3%", "0.0000123 ms");

        // one ROC chart per detector, each a PNG of the chart's size with its attacks' colours
        BufferedImage magnetRoc = image(section, "ROC curves of magnet");
        BufferedImage lidRoc = image(section, "ROC curves of &lt;lid&gt;");
        assertThat(magnetRoc.getWidth()).isEqualTo(Charts.WIDTH);
        assertThat(magnetRoc.getHeight()).isEqualTo(Charts.HEIGHT);
        int fgsmInMagnet = pixelsNear(magnetRoc, 0xE07B39);
        int pgdInMagnet = pixelsNear(magnetRoc, 0x3E9E6B);
        int pgdInLid = pixelsNear(lidRoc, 0x3E9E6B);
        System.out.printf("ROC pixels: fgsm colour in magnet's chart %d, pgd colour %d, pgd colour"
                + " in lid's chart %d%n", fgsmInMagnet, pgdInMagnet, pgdInLid);
        assertThat(fgsmInMagnet).as("fgsm's two curves").isGreaterThan(400);
        assertThat(pgdInMagnet).as("pgd's two curves").isGreaterThan(400);
        assertThat(pgdInLid).as("lid has no pgd curve").isZero();
        assertThat(html.split("data:image/png;base64,", -1))
                .as("the report's charts and gallery, plus one ROC chart per detector")
                .hasSize(1 + 2 + 3 * f.gallerySize() + 2);
    }

    @Test
    void aSummaryWithoutResultsShowsTheCardsAndSaysSo(@TempDir Path dir) throws IOException {
        ReportFixture f = ReportFixture.get();
        DetectionSummary full = summary();
        EvaluationReport report = f.report.withDetection(
                new DetectionSummary(0.01, 40, full.detectors(), List.of()));
        ReportWriter.write(dir, report, f.run, f.data);
        String section = between(Files.readString(dir.resolve(ReportWriter.HTML)),
                "id=\"detection\"", "</section>");
        assertThat(section).contains("No detector was run against an attack", "1.0% of clean",
                "k=20, layer=stage-2").doesNotContain("<img");
        assertThat(Files.readAllLines(dir.resolve(ReportWriter.DETECTION_CSV))).hasSize(1);
    }

    @Test
    void reportJsonCarriesTheDetectionAndReadsBackToTheSameRecords(@TempDir Path dir)
            throws IOException {
        ReportFixture f = ReportFixture.get();
        DetectionSummary summary = summary();
        ReportWriter.write(dir, f.report.withDetection(summary), f.run, f.data);
        String text = Files.readString(dir.resolve(ReportWriter.JSON));
        JsonNode json = STRICT.readTree(text);

        JsonNode detection = json.get("detection");
        assertThat(detection.get("false_positive_rate").asDouble()).isEqualTo(0.05);
        assertThat(detection.get("clean_images").asInt()).isEqualTo(40);
        JsonNode card = detection.get("detectors").get(0);
        assertThat(card.get("train_attacks")).hasSize(2);
        assertThat(card.get("fit_seconds").asDouble()).isEqualTo(12.3);
        assertThat(card.get("settings").get("k").asInt()).isEqualTo(20);
        JsonNode first = detection.get("results").get(0);
        assertThat(first.get("detector").asText()).isEqualTo("magnet");
        assertThat(first.get("tpr_at5").asDouble()).isEqualTo(0.8125);
        assertThat(first.get("score_millis_per_image").asDouble()).isEqualTo(0.0421);
        assertThat(first.get("roc").get("fpr").size()).isEqualTo(first.get("roc").get("tpr").size())
                .isBetween(2, 25);
        JsonNode lid = detection.get("results").get(4);
        assertThat(lid.get("tpr_at1").isNull()).as("NaN is written as null").isTrue();
        assertThat(ReportWriterTest.camelCaseKeys(json)).isEmpty();

        // Back to records: the whole report.json, and the detection in it equals what was written
        // (lid's NaN read back from null is left out: strict JSON cannot carry it).
        EvaluationReport read = ReportJson.MAPPER.treeToValue(json, EvaluationReport.class);
        assertThat(read.detection()).usingRecursiveComparison()
                .ignoringFields("results")
                .isEqualTo(summary);
        assertThat(read.detection().results().subList(0, 4)).usingRecursiveComparison()
                .isEqualTo(summary.results().subList(0, 4));
        assertThat(read.detection().results().get(4)).usingRecursiveComparison()
                .ignoringFields("tprAt1").isEqualTo(summary.results().get(4));
        assertThat(read.cleanAccuracy()).isEqualTo(f.report.cleanAccuracy());
    }

    @Test
    void detectionCsvHasOneRowPerDetectorAttackAndMode(@TempDir Path dir) throws IOException {
        ReportFixture f = ReportFixture.get();
        ReportWriter.write(dir, f.report.withDetection(summary()), f.run, f.data);
        List<String> rows = Files.readAllLines(dir.resolve(ReportWriter.DETECTION_CSV),
                StandardCharsets.UTF_8);
        assertThat(rows).hasSize(1 + 5);
        assertThat(rows.get(0)).isEqualTo(ReportCsv.DETECTION_HEADER);
        assertThat(rows.get(1)).isEqualTo("magnet,fgsm,oblivious,1.2345678,0.05,0.913,0.8125,0.625,"
                + "0.7826,0.7,30,23,0.6875,0.15625,0.0421,none");
        assertThat(rows.get(5)).isEqualTo("<lid>,fgsm,oblivious,1.23456E-4,0.0625,0.702,0.3125,,"
                + "0.4348,0.3333,30,23,0.375,0.15625,1.23E-5,none");
        for (String row : rows) {
            assertThat(row.split(",", -1)).hasSize(16);
        }
    }

    @Test
    void aReportWithoutDetectionIsThePageWithoutTheSectionItsLinkAndItsFile(@TempDir Path dir)
            throws IOException {
        ReportFixture f = ReportFixture.get();
        assertThat(f.report.detection()).isNull();
        Path with = dir.resolve("with");
        ReportWriter.write(with, f.report.withDetection(summary()), f.run, f.data);
        // the same directory again, without detection: the stale detection.csv goes
        ReportWriter.write(with, f.report, f.run, f.data);
        assertThat(with.resolve(ReportWriter.DETECTION_CSV)).doesNotExist();
        String without = Files.readString(with.resolve(ReportWriter.HTML));
        assertThat(without).doesNotContain("detection", "Detection");

        String withHtml = HtmlReport.render(f.report.withDetection(summary()), f.run, f.data);
        String section = "<section class=\"card\" id=\"detection\">"
                + between(withHtml, "<section class=\"card\" id=\"detection\">", "</section>\n")
                + "</section>\n";
        String stripped = withHtml.replace(section, "")
                .replace("<a href=\"#detection\">Detection</a>", "")
                .replace(", <a href=\"detection.csv\">detection.csv</a>", "");
        assertThat(stripped).as("detection adds its card, nav link and file link, nothing else")
                .isEqualTo(without);
        assertThat(without).contains("<style>\n" + resource(HtmlReport.STYLE_RESOURCE) + "</style>");

        JsonNode json = STRICT.readTree(with.resolve(ReportWriter.JSON).toFile());
        assertThat(json.has("detection") && json.get("detection").isNull()).isTrue();
    }

    @Test
    void twoResultsForTheSameDetectorAttackAndModeAreRefused(@TempDir Path dir) {
        ReportFixture f = ReportFixture.get();
        DetectionSummary summary = summary();
        List<DetectionResult> twice = new ArrayList<>(summary.results());
        twice.add(summary.results().get(1));
        EvaluationReport report = f.report.withDetection(new DetectionSummary(
                summary.falsePositiveRate(), summary.cleanImages(), summary.detectors(), twice));
        assertThatThrownBy(() -> ReportWriter.write(dir, report, f.run, f.data))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the detection results hold detector 'magnet' against attack 'fgsm'"
                        + " (adaptive) twice; keep one result per detector, attack and mode");
    }

    @Test
    void theDetectionPageLoadsEveryImageInChromiumWithACleanConsole(@TempDir Path dir)
            throws IOException, InterruptedException {
        Path chromium = ReportPageTest.chromium();
        ReportFixture f = ReportFixture.get();
        Path report = dir.resolve("report");
        ReportWriter.write(report, f.report.withDetection(summary()), f.run, f.data);
        ReportPageTest.Browser dom = ReportPageTest.run(chromium, dir, "dom", "--dump-dom",
                report.resolve(ReportWriter.HTML).toUri().toString());
        int expected = 2 + 3 * f.gallerySize() + 2;
        assertThat(dom.stdout()).contains("data-images-loaded=\"" + expected + "/" + expected + "\"",
                "id=\"detection\"");
        assertThat(ReportPageTest.consoleProblems(dom.stderr())).isEmpty();
    }

    @Test
    void significantDigitsReadWellAtEveryMagnitude() {
        assertThat(Text.significant(1.2345678f, 4)).isEqualTo("1.235");
        assertThat(Text.significant(0.5, 4)).isEqualTo("0.5");
        assertThat(Text.significant(1234.5, 3)).isEqualTo("1230");
        assertThat(Text.significant(0.000123456, 4)).isEqualTo("0.0001235");
        assertThat(Text.significant(1.2e-9, 3)).isEqualTo("1.2E-9");
        assertThat(Text.significant(0, 3)).isEqualTo("0");
        assertThat(Text.significant(Double.NaN, 3)).isEqualTo(Text.NONE);
    }

    /** The hand-made summary; every number is chosen so that its rendering is known. */
    static DetectionSummary summary() {
        Random random = new Random(12);
        float[] clean = gaussian(random, 40, 0);
        Map<String, Object> magnetSettings = new LinkedHashMap<>();
        magnetSettings.put("k", 20);
        magnetSettings.put("layer", "stage-2");
        magnetSettings.put("noise", 0.01);
        CalibratedDetector.Card magnet = card("magnet", magnetSettings, List.of("fgsm", "pgd"),
                1.2345678f, 12.3);
        CalibratedDetector.Card lid = card("<lid>", Map.of(), List.of(), 1.23456e-4f, 0.5);
        List<DetectionResult> results = List.of(
                result("magnet", "fgsm", DetectionResult.OBLIVIOUS, 1.2345678f, 0.05, 0.913, 0.8125,
                        0.625, 0.7826, 0.7, 23, 0.6875, 0.15625, curve(clean, random, 2), 0.0421),
                result("magnet", "fgsm", DetectionResult.ADAPTIVE, 1.2345678f, 0.05, 0.641, 0.25,
                        0.125, 0.3, 0.2, 20, 0.40625, 0.09375, curve(clean, random, 0.4), 0.0421),
                result("magnet", "pgd", DetectionResult.OBLIVIOUS, 1.2345678f, 0.05, 0.875, 0.75,
                        0.5, 0.75, 0.6667, 28, 0.40625, 0.0625, curve(clean, random, 1.5), 0.0421),
                result("magnet", "pgd", DetectionResult.ADAPTIVE, 1.2345678f, 0.05, 0.5, 0.05, 0,
                        0.0357, 0.0333, 28, 0.03125, 0.0625, curve(clean, random, 0), 0.05),
                result("<lid>", "fgsm", DetectionResult.OBLIVIOUS, 1.23456e-4f, 0.0625, 0.702,
                        0.3125, Double.NaN, 0.4348, 0.3333, 23, 0.375, 0.15625,
                        curve(clean, random, 0.8), 1.23e-5));
        return new DetectionSummary(0.05, 40, List.of(magnet, lid), results);
    }

    private static CalibratedDetector.Card card(String name, Map<String, Object> settings,
            List<String> trainAttacks, float threshold, double fitSeconds) {
        return new CalibratedDetector.Card(CalibratedDetector.FORMAT, name, settings, trainAttacks,
                "small-cnn", new int[] {1, 28, 28}, 10, new float[] {0.25f, -1.5f},
                "synthetic train", "cd".repeat(32), 1000, 200, 0.05, threshold, 0.5f, fitSeconds,
                "0.1.0-test", "2026-01-02T03:04:05Z");
    }

    private static DetectionResult result(String detector, String attack, String mode,
            float threshold, double cleanFpr, double auc, double tprAt5, double tprAt1,
            double detectionRate, double detectionRateAll, int successful, double guarded,
            double undefended, Roc.Curve roc, double millis) {
        return new DetectionResult(detector, attack, mode, threshold, cleanFpr, auc, tprAt5, tprAt1,
                detectionRate, detectionRateAll, 30, successful, guarded, undefended, roc, millis,
                mode.equals(DetectionResult.ADAPTIVE) ? "exact" : "none");
    }

    /** The ROC curve of {@code clean} against 30 adversarial scores shifted by {@code shift}. */
    private static Roc.Curve curve(float[] clean, Random random, double shift) {
        return new Roc(clean, gaussian(random, 30, shift)).curve(25);
    }

    private static float[] gaussian(Random random, int n, double mean) {
        float[] scores = new float[n];
        for (int i = 0; i < n; i++) {
            scores[i] = (float) (mean + random.nextGaussian());
        }
        return scores;
    }

    /** The text after the first {@code from} up to the next {@code to}. */
    private static String between(String text, String from, String to) {
        int start = text.indexOf(from);
        assertThat(start).as("'%s' in the page", from).isNotNegative();
        start += from.length();
        int end = text.indexOf(to, start);
        assertThat(end).as("'%s' after '%s'", to, from).isNotNegative();
        return text.substring(start, end);
    }

    /** The numeric cells of the table row of {@code attack}. */
    private static List<String> cells(String table, String attack) {
        String row = between(table, "<tr><td><b>" + attack + "</b></td>", "</tr>");
        Matcher cell = CELL.matcher(row);
        List<String> cells = new ArrayList<>();
        while (cell.find()) {
            cells.add(cell.group(1));
        }
        return cells;
    }

    private static int count(String text, String part) {
        return text.split(Pattern.quote(part), -1).length - 1;
    }

    private static BufferedImage image(String html, String alt) throws IOException {
        String data = between(html, "alt=\"" + alt + "\" src=\"data:image/png;base64,", "\"");
        return ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(data)));
    }

    /** Pixels within a small distance of {@code rgb} (antialiased edges differ, line cores do not). */
    private static int pixelsNear(BufferedImage image, int rgb) {
        int count = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int p = image.getRGB(x, y);
                int dr = ((p >> 16) & 0xFF) - ((rgb >> 16) & 0xFF);
                int dg = ((p >> 8) & 0xFF) - ((rgb >> 8) & 0xFF);
                int db = (p & 0xFF) - (rgb & 0xFF);
                count += dr * dr + dg * dg + db * db <= 12 * 12 ? 1 : 0;
            }
        }
        return count;
    }

    private static String resource(String name) throws IOException {
        try (var in = HtmlReport.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
