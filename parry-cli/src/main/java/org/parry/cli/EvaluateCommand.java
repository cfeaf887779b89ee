package org.parry.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.detect.CalibratedDetector;
import org.parry.detect.DetectionEvaluation;
import org.parry.eval.EvaluationReport;
import org.parry.eval.EvaluationRunner;
import org.parry.eval.EvaluationSettings;
import org.parry.eval.SanityLevel;
import org.parry.eval.Suite;
import org.parry.eval.SuiteAttack;
import org.parry.io.DirectoryLock;
import org.parry.io.OutputPaths;
import org.parry.model.Classifier;
import org.parry.model.Models;
import org.parry.model.Pipeline;
import org.parry.norm.Norm;
import org.parry.report.EvaluationJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code parry evaluate}: the robustness report. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Evaluate a model's robustness with an attack suite and write a report.")
final class EvaluateCommand implements Callable<Integer> {

    @Mixin
    DataOptions data;

    @Mixin
    DefendedModelOptions defense;

    @Option(names = "--model", required = true, description = "A saved Parry model directory, a TorchScript .pt file or an ONNX .onnx file (query-only).")
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

    @Option(names = "--detector", description = "A fitted detector's directory ('parry detect"
            + " fit'; repeatable): the report gets a detection section, the detectors against the"
            + " suite's attacks at the first ε and against --adaptive.")
    List<Path> detectors = new ArrayList<>();

    @Option(names = "--adaptive", split = ",", defaultValue = "pgd", description = "With"
            + " --detector: attacks also run against each detector and the model together, 'none'"
            + " for none (default: ${DEFAULT-VALUE}).")
    List<String> adaptive;

    @Override
    public Integer call() throws Exception {
        SanityLevel level = SanityLevel.parse(sanity);
        EvaluationSettings settings = new EvaluationSettings(Suite.parse(suite), Norm.parse(norm),
                epsilons, data.seed, data.batchSize);
        OutputPaths.checkDirectory("--report", reportDirectory);
        try (DirectoryLock lock = DirectoryLock.acquire(reportDirectory, "--report")) {
            EvaluationJob.checkDirectory(reportDirectory, resume, overwrite);
            ImageDataset images = data.load(Split.parse(split));
            try (Classifier loaded = Models.load(model, images.imageShape());
                    Pipeline pipeline = defense.pipeline(defense.lossOf(loaded), data.seed)) {
                Classifier classifier = pipeline == null ? defense.lossOf(loaded) : pipeline;
                List<CalibratedDetector> fitted = new ArrayList<>();
                EvaluationReport report;
                try {
                    for (Path directory : detectors) {
                        fitted.add(CalibratedDetector.load(directory, loaded));
                    }
                    EvaluationJob.Detection detection = fitted.isEmpty() ? null
                            : new EvaluationJob.Detection(fitted, adaptive.equals(List.of("none"))
                                    ? List.of() : adaptive.stream().map(SuiteAttack::of).toList(),
                                    DetectionEvaluation.Settings.defaults(),
                                    line -> System.err.println("  detection: " + line));
                    report = new EvaluationJob(classifier, model, images, settings,
                            reportDirectory, level).run(resume, new EvaluationProgress(),
                            EvaluationRunner.LOCAL, detection);
                } finally {
                    fitted.forEach(CalibratedDetector::close);
                }
                EvaluationSummary.print(report, System.out);
                System.out.println("report: " + reportDirectory.resolve("index.html"));
            }
        }
        return 0;
    }
}
