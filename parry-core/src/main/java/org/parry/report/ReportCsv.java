package org.parry.report;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.parry.detect.DetectionResult;
import org.parry.detect.DetectionSummary;
import org.parry.eval.AttackOutcome;
import org.parry.eval.EpsilonResult;
import org.parry.eval.EvaluationReport;
import org.parry.eval.Evaluator;
import org.parry.eval.PerturbationStats;
import org.parry.eval.WorstCase;
import org.parry.io.AtomicFiles;

/**
 * The report's tables as CSV (UTF-8, comma-separated, LF line ends, a header row, RFC 4180
 * quoting, empty fields for undefined numbers): {@code results.csv} with one row per ε and sample,
 * {@code attacks.csv} with one row per ε and attack, and, for a report with detection,
 * {@code detection.csv} with one row per detector, attack and mode.
 */
final class ReportCsv {

    /** The {@code broken_by} value of a sample the model misclassifies without any attack. */
    static final String CLEAN_ERROR = "clean-error";

    static final String RESULTS_HEADER =
            "epsilon,index,label,clean_prediction,robust,broken_by,adversarial_prediction,l2,linf";

    static final String ATTACKS_HEADER = "epsilon,order,name,attacked,broken,success_rate,"
            + "robust_accuracy,standard_error,found,l2_median,l2_mean,l2_max,linf_median,linf_mean,"
            + "linf_max,gradients,queries,seconds";

    static final String DETECTION_HEADER = "detector,attack,mode,threshold,clean_fpr,auc,tpr_at5,"
            + "tpr_at1,detection_rate,detection_rate_all,attacked,successful,guarded_accuracy,"
            + "undefended_accuracy,score_millis_per_image,gradients";

    private ReportCsv() {}

    /**
     * One row per (ε, sample), ε in report order, samples in data order. {@code robust} is 1 when
     * the sample is clean-correct and no attack broke it; {@code broken_by} names the first attack
     * that did, or is {@value #CLEAN_ERROR}, or empty; {@code adversarial_prediction} is the
     * prediction at the sample's worst-case point (its stored adversarial example, else the clean
     * image); {@code l2} and {@code linf} are that example's perturbation norms, empty when none.
     */
    static void writeResults(Path file, Evaluator.Run run) throws IOException {
        AtomicFiles.write(file, stream -> writeResults(stream, run));
    }

    private static void writeResults(OutputStream stream, Evaluator.Run run) throws IOException {
        try (Writer out = writer(stream)) {
            out.write(RESULTS_HEADER);
            out.write('\n');
            for (int e = 0; e < run.results().size(); e++) {
                EpsilonResult result = run.results().get(e);
                WorstCase worst = run.worstCases().get(e);
                String epsilon = Float.toString(result.epsilon());
                StringBuilder row = new StringBuilder(96);
                for (int i = 0; i < worst.size(); i++) {
                    int brokenBy = worst.brokenBy(i);
                    boolean broken = brokenBy >= 0;
                    row.setLength(0);
                    row.append(epsilon).append(',').append(i).append(',').append(worst.label(i))
                            .append(',').append(worst.cleanPrediction(i)).append(',')
                            .append(brokenBy == WorstCase.ROBUST ? 1 : 0).append(',')
                            .append(Text.csv(brokenBy == WorstCase.CLEAN_ERROR ? CLEAN_ERROR
                                    : broken ? attackName(result, brokenBy) : ""))
                            .append(',').append(worst.prediction(i)).append(',')
                            .append(broken ? Float.toString(worst.l2(i)) : "").append(',')
                            .append(broken ? Float.toString(worst.linf(i)) : "").append('\n');
                    out.write(row.toString());
                }
            }
        }
    }

    /**
     * One row per (ε, attack) in run order: the {@link AttackOutcome} numbers, {@code order} its
     * position in the suite (from 1), {@code success_rate} = broken / attacked (empty when it
     * attacked nothing), {@code found} the number of perturbations the norm statistics are over.
     */
    static void writeAttacks(Path file, EvaluationReport report) throws IOException {
        AtomicFiles.write(file, stream -> writeAttacks(stream, report));
    }

    private static void writeAttacks(OutputStream stream, EvaluationReport report)
            throws IOException {
        try (Writer out = writer(stream)) {
            out.write(ATTACKS_HEADER);
            out.write('\n');
            for (EpsilonResult result : report.results()) {
                List<AttackOutcome> attacks = result.attacks();
                for (int a = 0; a < attacks.size(); a++) {
                    AttackOutcome o = attacks.get(a);
                    out.write(String.join(",", Float.toString(o.epsilon()), Integer.toString(a + 1),
                            Text.csv(o.name()), Integer.toString(o.attacked()),
                            Integer.toString(o.broken()),
                            Text.csv(o.attacked() == 0 ? Double.NaN : (double) o.broken() / o.attacked()),
                            Text.csv(o.robustAccuracy()), Text.csv(o.standardError()),
                            Integer.toString(count(o.l2())), stats(o.l2()), stats(o.linf()),
                            Long.toString(o.gradients()), Long.toString(o.queries()),
                            Text.csv(o.seconds())));
                    out.write('\n');
                }
            }
        }
    }

    /**
     * One row per {@link DetectionResult} of the report's detection, in its order: the result's
     * numbers (the ROC curve is only in {@code report.json}).
     *
     * @throws IllegalArgumentException when the report has no detection
     */
    static void writeDetection(Path file, EvaluationReport report) throws IOException {
        if (report.detection() == null) {
            throw new IllegalArgumentException("the report has no detection to write");
        }
        writeDetection(file, report.detection());
    }

    /** Writes the rows of a detection evaluation, a row per detector, attack and mode. */
    static void writeDetection(Path file, DetectionSummary summary) throws IOException {
        AtomicFiles.write(file, stream -> writeDetection(stream, summary.results()));
    }

    private static void writeDetection(OutputStream stream, List<DetectionResult> results)
            throws IOException {
        try (Writer out = writer(stream)) {
            out.write(DETECTION_HEADER);
            out.write('\n');
            for (DetectionResult r : results) {
                out.write(String.join(",", Text.csv(r.detector()), Text.csv(r.attack()),
                        Text.csv(r.mode()),
                        Float.isFinite(r.threshold()) ? Float.toString(r.threshold()) : "",
                        Text.csv(r.cleanFpr()),
                        Text.csv(r.auc()), Text.csv(r.tprAt5()), Text.csv(r.tprAt1()),
                        Text.csv(r.detectionRate()), Text.csv(r.detectionRateAll()),
                        Integer.toString(r.attacked()), Integer.toString(r.successful()),
                        Text.csv(r.guardedAccuracy()), Text.csv(r.undefendedAccuracy()),
                        Text.csv(r.scoreMillisPerImage()), Text.csv(r.gradients())));
                out.write('\n');
            }
        }
    }

    private static Writer writer(OutputStream stream) {
        return new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8));
    }

    private static String attackName(EpsilonResult result, int attack) {
        return attack < result.attacks().size() ? result.attacks().get(attack).name() : "attack-" + attack;
    }

    private static int count(PerturbationStats stats) {
        return stats == null ? 0 : stats.count();
    }

    private static String stats(PerturbationStats stats) {
        if (stats == null) {
            return ",,";
        }
        return Text.csv(stats.median()) + ',' + Text.csv(stats.mean()) + ',' + Text.csv(stats.max());
    }
}
