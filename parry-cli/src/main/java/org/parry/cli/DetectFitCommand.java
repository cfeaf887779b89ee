package org.parry.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import org.parry.attack.Attack;
import org.parry.attack.AttackRegistry;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.detect.CalibratedDetector;
import org.parry.detect.DetectorRegistry;
import org.parry.detect.FitData;
import org.parry.io.OutputPaths;
import org.parry.model.Classifier;
import org.parry.model.Models;
import org.parry.norm.Norm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code parry detect fit}: fits a detector for a model on training images, thresholds it at a
 * false-positive rate on the training images that follow them, and saves it.
 */
@Command(name = "fit", mixinStandardHelpOptions = true,
        description = "Fit a detector for a model on the training split and save it (card +"
                + " arrays) with its threshold at --fpr on the training images after those.")
final class DetectFitCommand implements Callable<Integer> {

    @Mixin
    DataOptions data;

    @Option(names = "--model", required = true, description = "A saved Parry model directory, a"
            + " TorchScript .pt file or an ONNX .onnx file (query-only).")
    Path model;

    @Option(names = "--detector", required = true, completionCandidates = DetectorNames.class,
            description = "The detector: ${COMPLETION-CANDIDATES}.")
    String detector;

    @Option(names = "--train-attack", description = "An attack whose examples a supervised"
            + " detector learns from (repeatable), crafted at --eps on the fitting images.")
    List<String> trainAttacks = new ArrayList<>();

    @Option(names = "--eps", defaultValue = "0.1",
            description = "The training attacks' budget (default: ${DEFAULT-VALUE}).")
    float epsilon;

    @Option(names = "--norm", defaultValue = "linf",
            description = "The training attacks' norm (default: ${DEFAULT-VALUE}).")
    String norm;

    @Option(names = "--fit-images", defaultValue = "2000",
            description = "Training images to fit on (default: ${DEFAULT-VALUE}).")
    int fitImages;

    @Option(names = "--attacked-images", defaultValue = "1000", description = "Of those, how many"
            + " the training attacks craft examples of (default: ${DEFAULT-VALUE}).")
    int attackedImages;

    @Option(names = "--validation-images", defaultValue = "1000", description = "The training"
            + " images after them, on which the threshold is chosen (default: ${DEFAULT-VALUE}).")
    int validationImages;

    @Option(names = "--fpr", defaultValue = "0.05", description = "The false-positive rate the"
            + " threshold is chosen at (default: ${DEFAULT-VALUE}).")
    double falsePositiveRate;

    @Option(names = "--split", defaultValue = "train", description = "The split whose first"
            + " images are fitted on and whose next ones choose the threshold; keep the test split"
            + " for evaluating (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--out", required = true, description = "The detector's directory (refused"
            + " if it holds a detector, unless --overwrite).")
    Path output;

    @Option(names = "--overwrite", description = "Replace the detector --out holds.")
    boolean overwrite;

    @Parameters(paramLabel = "NAME.key=value", arity = "0..*",
            description = "Settings of the detector, e.g. lid.k=20.")
    List<String> settings = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Map<String, String> own = PrefixedSettings.parse("detector", detector, settings);
        DetectorRegistry.entry(detector);
        if (fitImages < 1 || validationImages < 1 || attackedImages < 1) {
            throw new IllegalArgumentException("--fit-images, --attacked-images and"
                    + " --validation-images must be >= 1");
        }
        OutputPaths.checkDirectory("--out", output);
        OutputPaths.checkFile("--out", output.resolve(CalibratedDetector.CARD_FILE), overwrite);
        ImageDataset train = data.load(Split.parse(split));
        if (train.size() < fitImages + validationImages) {
            throw new IllegalArgumentException("the " + split + " split has " + train.size()
                    + " images, fewer than --fit-images " + fitImages + " + --validation-images "
                    + validationImages);
        }
        ImageDataset fitting = train.first(fitImages);
        ImageDataset validation = train.select(IntStream.range(fitImages,
                fitImages + validationImages).toArray());
        try (Classifier classifier = Models.load(model, train.imageShape())) {
            List<Attack> attacks = new ArrayList<>();
            for (String name : trainAttacks) {
                attacks.add(AttackRegistry.createForThreat(name, Norm.parse(norm), epsilon,
                        data.seed));
            }
            FitData fit = attacks.isEmpty() ? FitData.clean(classifier, fitting, data.seed)
                    : FitData.withAttacks(classifier, fitting, attacks, attackedImages,
                            data.batchSize, data.seed);
            try (CalibratedDetector fitted = CalibratedDetector.fit(detector, fit, own,
                    validation, falsePositiveRate, data.batchSize)) {
                Files.createDirectories(output);
                fitted.save(output);
                CalibratedDetector.Card card = fitted.card();
                System.out.printf("%s fitted for %s on %d images in %.1f s%s; threshold %.6g at"
                        + " FPR %s on %d held-out images%n", detector, card.model(),
                        card.fitImages(), card.fitSeconds(), card.trainAttacks().isEmpty() ? ""
                        : " (adversarial: " + String.join(", ", card.trainAttacks()) + ")",
                        card.threshold(), card.falsePositiveRate(), card.validationImages());
                System.out.println("saved: " + output);
            }
        }
        return 0;
    }

    /** The registered detectors, for help and completion. */
    static final class DetectorNames extends ArrayList<String> {
        DetectorNames() {
            super(DetectorRegistry.names());
        }
    }
}
