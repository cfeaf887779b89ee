package org.parry.report;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.parry.attack.Attack;
import org.parry.data.ImageDataset;
import org.parry.detect.CalibratedDetector;
import org.parry.detect.DetectionEvaluation;
import org.parry.detect.DetectionSummary;
import org.parry.eval.EvaluationListener;
import org.parry.eval.EvaluationReport;
import org.parry.eval.EvaluationRunner;
import org.parry.eval.EvaluationSettings;
import org.parry.eval.Evaluator;
import org.parry.eval.Provenance;
import org.parry.eval.SanityCheck;
import org.parry.eval.SanityChecks;
import org.parry.eval.SanityLevel;
import org.parry.eval.SuiteAttack;
import org.parry.model.Classifier;

/**
 * The whole of "evaluate a model's robustness and write the report" (what {@code parry evaluate}
 * and {@code parry demo} run): the protocol ({@link Evaluator}, journaled in {@code directory}),
 * the {@link SanityChecks}, the provenance, and the report files ({@link ReportWriter}).
 *
 * @param model the classifier, which the job does not close
 * @param modelFile the model's file or directory, hashed into the provenance
 * @param data the samples to evaluate
 * @param settings the suite, threat model, seed and batch size
 * @param directory where the journal and the report go
 * @param sanity how much the sanity checks spend
 */
public record EvaluationJob(Classifier model, Path modelFile, ImageDataset data,
        EvaluationSettings settings, Path directory, SanityLevel sanity) {

    public EvaluationJob {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(modelFile, "modelFile");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(sanity, "sanity");
    }

    /**
     * Checks, before any work, that a job may write into {@code directory}: an earlier evaluation
     * there (its journal or report) is continued only when {@code resume} says so and replaced
     * only when {@code overwrite} does.
     *
     * @throws IllegalArgumentException naming the directory and the choices
     */
    public static void checkDirectory(Path directory, boolean resume, boolean overwrite) {
        if (resume && overwrite) {
            throw new IllegalArgumentException("--resume continues the evaluation in " + directory
                    + " and --overwrite replaces it; choose one");
        }
        if (!resume && !overwrite
                && (Evaluator.hasJournal(directory) || ReportWriter.holdsReport(directory))) {
            throw new IllegalArgumentException("--report " + directory + " holds another"
                    + " evaluation; pass --resume to continue it (same settings), --overwrite to"
                    + " replace it, or choose another --report");
        }
    }

    /**
     * Runs the protocol and the checks, writes the report, returns it.
     *
     * @param resume continue the evaluation journaled in {@link #directory()} (same settings)
     * @param listener hears the attacks' progress and the start of the checks
     */
    public EvaluationReport run(boolean resume, EvaluationListener listener) throws IOException {
        return run(resume, listener, EvaluationRunner.LOCAL, null);
    }

    /**
     * Detectors to evaluate after the protocol, on the same images: against the suite's attacks at
     * the first ε crafted on the model alone, and against {@code adaptive} crafted on model and
     * detector together ({@link DetectionEvaluation}).
     *
     * @param detectors fitted for the model; the caller owns them
     * @param adaptive the detector-aware attacks (may be empty)
     * @param settings the adaptive attack's weights, batch size, curve points
     * @param log a line per finished attack
     */
    public record Detection(List<CalibratedDetector> detectors, List<SuiteAttack> adaptive,
            DetectionEvaluation.Settings settings, Consumer<String> log) {

        public Detection {
            detectors = List.copyOf(detectors);
            adaptive = List.copyOf(adaptive);
            Objects.requireNonNull(settings, "settings");
            Objects.requireNonNull(log, "log");
        }
    }

    /**
     * Runs the protocol with its units where {@code runner} runs them (e.g. a cluster's {@link
     * org.parry.eval.Cluster#runner}), then the checks here; writes the report, returns it. The
     * numbers are those of {@link #run(boolean, EvaluationListener)}.
     */
    public EvaluationReport run(boolean resume, EvaluationListener listener,
            EvaluationRunner runner) throws IOException {
        return run(resume, listener, runner, null);
    }

    /**
     * The protocol with its units where {@code runner} runs them, the checks, then the detectors
     * if any; writes the report (with its detection section), returns it.
     *
     * @param detection the detectors to evaluate, or null for none
     */
    public EvaluationReport run(boolean resume, EvaluationListener listener,
            EvaluationRunner runner, Detection detection) throws IOException {
        String started = Instant.now().toString();
        Evaluator.Run run = new Evaluator(settings, listener, runner).run(model, data, directory,
                resume);
        if (sanity != SanityLevel.OFF) {
            listener.onSanityChecks(sanity);
        }
        List<SanityCheck> checks = SanityChecks.run(model, data, settings, run, sanity);
        Provenance provenance = Provenance.of(settings.seed(), modelFile, model, data.name(),
                data.sha256(), started, Instant.now().toString());
        EvaluationReport report = EvaluationReport.of(run, settings, data, checks, provenance);
        if (detection != null) {
            report = report.withDetection(detect(detection));
        }
        ReportWriter.write(directory, report, run, data);
        return report;
    }

    private DetectionSummary detect(Detection detection) {
        float epsilon = settings.epsilons()[0];
        List<Attack> oblivious = settings.suite().attacks().stream()
                .map(a -> a.create(settings.norm(), epsilon, settings.seed())).toList();
        List<Attack> adaptive = detection.adaptive().stream()
                .map(a -> a.create(settings.norm(), epsilon, settings.seed())).toList();
        return new DetectionEvaluation(model, detection.detectors(), detection.settings(),
                detection.log()).run(data, oblivious, adaptive);
    }
}
