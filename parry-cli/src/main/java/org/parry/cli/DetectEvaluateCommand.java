package org.parry.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.parry.attack.Attack;
import org.parry.attack.AttackRegistry;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.detect.CalibratedDetector;
import org.parry.detect.DetectionEvaluation;
import org.parry.detect.DetectionSummary;
import org.parry.detect.DetectorAwareClassifier;
import org.parry.io.OutputPaths;
import org.parry.model.Classifier;
import org.parry.model.Models;
import org.parry.norm.Norm;
import org.parry.report.DetectionFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code parry detect evaluate}: fitted detectors against attacks, crafted on the model alone
 * (oblivious) and against model and detector together (adaptive), with the survey's metrics.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Evaluate fitted detectors against attacks on the test split: AUC, TPR at"
                + " 5%/1% FPR, detection rate of successful examples, guarded accuracy; each"
                + " --adaptive attack also runs against model and detector together.")
final class DetectEvaluateCommand implements Callable<Integer> {

    @Mixin
    DataOptions data;

    @Mixin
    DetectorOptions fitted;

    @Option(names = "--attack", split = ",", defaultValue = "fgsm,pgd,cw-l2,deepfool",
            description = "The oblivious attacks (default: ${DEFAULT-VALUE}).")
    List<String> attacks;

    @Option(names = "--adaptive", split = ",", defaultValue = "pgd", description = "The attacks"
            + " also run against each detector and the model together, 'none' for none"
            + " (default: ${DEFAULT-VALUE}).")
    List<String> adaptive;

    @Option(names = "--eps", defaultValue = "0.1",
            description = "The attacks' budget (default: ${DEFAULT-VALUE}).")
    float epsilon;

    @Option(names = "--norm", defaultValue = "linf",
            description = "The attacks' norm (default: ${DEFAULT-VALUE}).")
    String norm;

    @Option(names = "--lambda", split = ",", defaultValue = "0.1,1,10", description = "The"
            + " adaptive attack's weights of the detector's hinge, tried in order; per image the"
            + " first that evades is kept, else the first that fools the model (default:"
            + " ${DEFAULT-VALUE}).")
    List<Float> lambdas;

    @Option(names = "--eot", defaultValue = "1", description = "Draws of a randomized"
            + " detector's gradient per step (default: ${DEFAULT-VALUE}).")
    int eot;

    @Option(names = "--split", defaultValue = "test", description = "train or test (default:"
            + " ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--out", description = "Write detection.json (and the report) to this"
            + " directory (refused if it holds them, unless --overwrite).")
    Path output;

    @Option(names = "--overwrite", description = "Replace the files --out holds.")
    boolean overwrite;

    @Override
    public Integer call() throws Exception {
        if (output != null) {
            OutputPaths.checkDirectory("--out", output);
            OutputPaths.checkFile("--out", output.resolve(DetectionFiles.JSON), overwrite);
        }
        Norm threat = Norm.parse(norm);
        List<Attack> oblivious = attacks(attacks, threat);
        List<Attack> aware = adaptive.equals(List.of("none")) ? List.of()
                : attacks(adaptive, threat);
        DetectionEvaluation.Settings settings = new DetectionEvaluation.Settings(data.batchSize,
                lambdas, DetectorAwareClassifier.DEFAULT_MARGIN, eot, 101);
        ImageDataset images = data.load(Split.parse(split));
        List<CalibratedDetector> loaded = new ArrayList<>();
        try (Classifier classifier = Models.load(fitted.model, images.imageShape())) {
            loaded = fitted.load(classifier);
            DetectionSummary summary = new DetectionEvaluation(classifier, loaded, settings,
                    line -> System.err.println("  " + line)).run(images, oblivious, aware);
            System.out.printf("detectors of %s on %d %s images (%s ε = %s)%n", fitted.model,
                    images.size(), images.name(), threat.id(), epsilon);
            System.out.print(summary.table());
            if (output != null) {
                DetectionFiles.write(output, summary);
                System.out.println("wrote " + output.resolve(DetectionFiles.JSON));
            }
        } finally {
            loaded.forEach(CalibratedDetector::close);
        }
        return 0;
    }

    private List<Attack> attacks(List<String> names, Norm threat) {
        List<Attack> list = new ArrayList<>();
        for (String name : names) {
            list.add(AttackRegistry.createForThreat(name, threat, epsilon, data.seed));
        }
        return list;
    }
}
