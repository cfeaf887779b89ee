package org.parry.cli;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.eval.EvaluationReport;
import org.parry.eval.EvaluationSettings;
import org.parry.eval.Evaluator;
import org.parry.eval.Provenance;
import org.parry.eval.SanityCheck;
import org.parry.eval.SanityChecks;
import org.parry.eval.SanityLevel;
import org.parry.eval.Suite;
import org.parry.io.DirectoryLock;
import org.parry.io.OutputPaths;
import org.parry.model.Classifier;
import org.parry.model.Models;
import org.parry.norm.Norm;
import org.parry.report.ReportWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code parry evaluate}: the robustness report. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Evaluate a model's robustness with an attack suite and write a report.")
final class EvaluateCommand implements Callable<Integer> {

    @Mixin
    DataOptions data;

    @Option(names = "--model", required = true, description = "A saved Parry model directory or a TorchScript .pt file.")
    Path model;

    @Option(names = "--split", defaultValue = "test", description = "train or test (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--suite", defaultValue = "quick",
            description = "quick, autoattack, autoattack-plus, autoattack-rand, full, or a list such as fgsm,pgd (default: ${DEFAULT-VALUE}).")
    String suite;

    @Option(names = "--norm", defaultValue = "linf", description = "linf or l2 (default: ${DEFAULT-VALUE}).")
    String norm;

    @Option(names = "--eps", split = ",", defaultValue = "0.1", description = "One or more budgets, e.g. 0.05,0.1,0.2 (default: ${DEFAULT-VALUE}).")
    float[] epsilons;

    @Option(names = "--report", defaultValue = "report",
            description = "Directory of the report (default: ${DEFAULT-VALUE}). A directory holding"
                    + " another evaluation is refused unless --resume or --overwrite; one run at a"
                    + " time may write into it.")
    Path reportDirectory;

    @Option(names = "--resume", description = "Continue the evaluation whose journal is in the"
            + " report directory (same settings): an interrupted one finishes, a finished one is"
            + " written again with the same numbers.")
    boolean resume;

    @Option(names = "--overwrite", description = "Replace the evaluation the report directory"
            + " holds, starting over.")
    boolean overwrite;

    @Option(names = "--sanity", defaultValue = "quick",
            description = "Sanity checks: full (probe of 100 samples, stronger probing attacks),"
                    + " quick (probe of 50, scaled-down probing attacks) or off (every check"
                    + " reported as skipped) (default: ${DEFAULT-VALUE}).")
    String sanity;

    @Override
    public Integer call() throws Exception {
        SanityLevel level = SanityLevel.parse(sanity);
        EvaluationSettings settings = new EvaluationSettings(Suite.parse(suite), Norm.parse(norm),
                epsilons, data.seed, data.batchSize);
        OutputPaths.checkDirectory("--report", reportDirectory);
        try (DirectoryLock lock = DirectoryLock.acquire(reportDirectory, "--report")) {
            checkEarlierEvaluation(reportDirectory, resume, overwrite);
            ImageDataset images = data.load(Split.parse(split));
            try (Classifier classifier = Models.load(model, images.imageShape())) {
                EvaluationReport report = evaluate(classifier, model, images, settings,
                        reportDirectory, resume, level);
                EvaluationSummary.print(report, System.out);
                System.out.println("report: " + reportDirectory.resolve("index.html"));
            }
        }
        return 0;
    }

    /** Refuses to replace an earlier evaluation unless told to resume or overwrite it. */
    static void checkEarlierEvaluation(Path directory, boolean resume, boolean overwrite) {
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

    /** Runs the protocol and the checks, writes the report, returns it. */
    static EvaluationReport evaluate(Classifier classifier, Path modelPath, ImageDataset images,
            EvaluationSettings settings, Path directory, boolean resume, SanityLevel sanity)
            throws java.io.IOException {
        String started = Instant.now().toString();
        Evaluator.Run run = new Evaluator(settings, new EvaluationProgress())
                .run(classifier, images, directory, resume);
        if (sanity != SanityLevel.OFF) {
            System.err.println("running the sanity checks (" + sanity.id() + ")...");
        }
        List<SanityCheck> checks = SanityChecks.run(classifier, images, settings, run, sanity);
        Provenance provenance = Provenance.of(settings.seed(), modelPath, images.name(),
                images.sha256(), started, Instant.now().toString());
        EvaluationReport report = EvaluationReport.of(run, settings, images, checks, provenance);
        ReportWriter.write(directory, report, run, images);
        return report;
    }
}
