package org.parry.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.parry.data.ImageDataset;
import org.parry.detect.DetectionResult;
import org.parry.detect.DetectionSummary;
import org.parry.eval.EvaluationReport;
import org.parry.eval.Evaluator;
import org.parry.io.AtomicFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a robustness report into a directory:
 * <ul>
 *   <li>{@value #JSON}: the {@link EvaluationReport} (snake_case names, NaN and infinities as
 *       {@code null}, a flat top-level {@code attacks} list), layout in
 *       {@code docs/report-schema.md}, version {@link EvaluationReport#SCHEMA};
 *   <li>{@value #RESULTS_CSV}: one row per ε and sample (label, predictions, robust, which attack
 *       broke it, perturbation norms);
 *   <li>{@value #ATTACKS_CSV}: one row per ε and attack with its outcome;
 *   <li>{@value #DETECTION_CSV}, for a report with {@link EvaluationReport#detection()} only: one
 *       row per detector, attack and mode; without detection a {@value #DETECTION_CSV} left by an
 *       earlier report in the directory is deleted, so that it never describes another run;
 *   <li>{@value #HTML}: a self-contained page for people (summary, per-attack table, charts,
 *       confusion under attack, gallery, hypocritical risk, detection, sanity checks, provenance),
 *       every image inlined, so it opens offline and can be mailed as one file.
 * </ul>
 * Charts and images are drawn with AWT off screen: {@code java.awt.headless} is set to true when it
 * is not set. Existing files of these names are replaced, each atomically (a failed write leaves the old file
 * whole); other files are left alone.
 */
public final class ReportWriter {

    private static final Logger LOG = LoggerFactory.getLogger(ReportWriter.class);

    public static final String JSON = "report.json";
    public static final String RESULTS_CSV = "results.csv";
    public static final String ATTACKS_CSV = "attacks.csv";
    public static final String DETECTION_CSV = "detection.csv";
    public static final String HTML = "index.html";

    static {
        ensureHeadless();
    }

    private ReportWriter() {}

    /**
     * Writes the four files, and {@value #DETECTION_CSV} for a report with detection.
     *
     * @param directory created if missing
     * @param report the numbers, e.g. from {@link EvaluationReport#of}
     * @param run the run they summarize (per-sample results and adversarial examples)
     * @param data the evaluated samples, in the run's order (clean images for the gallery)
     * @throws IllegalArgumentException when the three disagree on n, the ε list or the classes
     * @throws IOException when a file cannot be written (the message names it)
     */
    public static void write(Path directory, EvaluationReport report, Evaluator.Run run,
            ImageDataset data) throws IOException {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(report, "report");
        Objects.requireNonNull(run, "run");
        Objects.requireNonNull(data, "data");
        check(report, run, data);
        Files.createDirectories(directory);
        long start = System.nanoTime();
        ReportJson.write(directory.resolve(JSON), report);
        ReportCsv.writeResults(directory.resolve(RESULTS_CSV), run);
        ReportCsv.writeAttacks(directory.resolve(ATTACKS_CSV), report);
        if (report.detection() != null) {
            ReportCsv.writeDetection(directory.resolve(DETECTION_CSV), report);
        } else {
            Files.deleteIfExists(directory.resolve(DETECTION_CSV));
        }
        AtomicFiles.writeString(directory.resolve(HTML), HtmlReport.render(report, run, data));
        LOG.info("wrote the report to {} in {} ms", directory,
                (System.nanoTime() - start) / 1_000_000);
    }

    /** Whether {@code directory} holds a report this writer wrote ({@value #JSON} or {@value #HTML}). */
    public static boolean holdsReport(Path directory) {
        return Files.isRegularFile(directory.resolve(JSON))
                || Files.isRegularFile(directory.resolve(HTML));
    }

    private static void check(EvaluationReport report, Evaluator.Run run, ImageDataset data) {
        int n = run.labels().length;
        if (report.n() != n || data.size() != n || run.cleanPredictions().length != n) {
            throw new IllegalArgumentException("report, run and data disagree on n: report "
                    + report.n() + ", run " + n + " labels and " + run.cleanPredictions().length
                    + " predictions, data " + data.size() + " images");
        }
        int epsilons = report.epsilons().length;
        if (report.results().size() != epsilons || run.results().size() != epsilons
                || run.worstCases().size() != epsilons) {
            throw new IllegalArgumentException("report and run disagree on the ε list: report "
                    + epsilons + " ε and " + report.results().size() + " results, run "
                    + run.results().size() + " results and " + run.worstCases().size()
                    + " worst cases");
        }
        if (epsilons == 0) {
            throw new IllegalArgumentException("the report has no ε");
        }
        if (report.classNames().size() != data.numClasses()) {
            throw new IllegalArgumentException("the report has " + report.classNames().size()
                    + " classes but the data set " + data.numClasses());
        }
        for (int e = 0; e < epsilons; e++) {
            if (run.worstCases().get(e).size() != n) {
                throw new IllegalArgumentException("worst case " + e + " has "
                        + run.worstCases().get(e).size() + " samples, expected " + n);
            }
        }
        if (report.detection() != null) {
            check(report.detection());
        }
    }

    /** Every result names its detector, attack and mode, and no two name the same three. */
    private static void check(DetectionSummary detection) {
        Set<List<String>> seen = new HashSet<>();
        for (DetectionResult r : detection.results()) {
            if (r.detector() == null || r.attack() == null || r.mode() == null) {
                throw new IllegalArgumentException("a detection result lacks its detector, attack"
                        + " or mode: " + r.detector() + " / " + r.attack() + " / " + r.mode());
            }
            if (!seen.add(List.of(r.detector(), r.attack(), r.mode()))) {
                throw new IllegalArgumentException("the detection results hold detector '"
                        + r.detector() + "' against attack '" + r.attack() + "' (" + r.mode()
                        + ") twice; keep one result per detector, attack and mode");
            }
        }
    }

    /** Sets {@code java.awt.headless=true} unless the property is already set. */
    static void ensureHeadless() {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }
}
