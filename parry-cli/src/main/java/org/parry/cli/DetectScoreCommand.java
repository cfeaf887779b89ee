package org.parry.cli;

import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.detect.CalibratedDetector;
import org.parry.detect.DetectorScores;
import org.parry.io.NpzReader;
import org.parry.io.OutputPaths;
import org.parry.model.Classifier;
import org.parry.model.Models;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code parry detect score}: scores a data set's images, or the adversarial examples {@code
 * parry attack} wrote, with fitted detectors, and says how many each flags.
 */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Score inputs with fitted detectors: the images of a split, or the"
                + " adversarial examples (x_adv) of an .npz written by 'parry attack --npz'.")
final class DetectScoreCommand implements Callable<Integer> {

    @Mixin
    DataOptions data;

    @Mixin
    DetectorOptions fitted;

    @Option(names = "--npz", description = "Score the x_adv array of this .npz instead of a split.")
    Path npz;

    @Option(names = "--split", defaultValue = "test",
            description = "train or test, without --npz (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--json", description = "Write every score and flag to this file (refused if"
            + " it exists, unless --overwrite).")
    Path json;

    @Option(names = "--overwrite", description = "Replace the --json file if it exists.")
    boolean overwrite;

    @Override
    public Integer call() throws Exception {
        if (json != null) {
            OutputPaths.checkFile("--json", json, overwrite);
        }
        ImageDataset images = npz == null ? data.load(Split.parse(split)) : null;
        NpzReader.Float32 adversarial = npz == null ? null : NpzReader.readFloat32(npz, "x_adv");
        if (adversarial != null && adversarial.shape().length != 4) {
            throw new IllegalArgumentException(npz + ": x_adv has shape "
                    + Arrays.toString(adversarial.shape()) + "; expected (N, C, H, W)");
        }
        Shape shape = adversarial == null ? images.imageShape() : new Shape(adversarial.shape()[1],
                adversarial.shape()[2], adversarial.shape()[3]);
        List<CalibratedDetector> loaded = new ArrayList<>();
        try (Classifier classifier = Models.load(fitted.model, shape)) {
            loaded = fitted.load(classifier);
            DetectorScores scores = npz == null
                    ? DetectorScores.of(loaded, images, data.batchSize)
                    : DetectorScores.of(loaded, adversarial.data(), shape, data.batchSize);
            String source = npz == null ? images.name() + " (" + split + " split)" : npz.toString();
            System.out.printf("%d inputs of %s%n", scores.size(), source);
            for (int d = 0; d < loaded.size(); d++) {
                System.out.printf("  %-20s flags %d (%.1f%%), threshold %.6g%n",
                        loaded.get(d).detector().name(), scores.flaggedBy(d),
                        100.0 * scores.flaggedBy(d) / scores.size(), loaded.get(d).threshold());
            }
            System.out.printf("  any detector flags %d (%.1f%%)%n", scores.flaggedByAny(),
                    100.0 * scores.flaggedByAny() / scores.size());
            if (json != null) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("model", fitted.model.toString());
                out.put("inputs", source);
                out.put("detectors", scores.json());
                JsonFile.write(json, out);
                System.out.println("wrote " + json);
            }
        } finally {
            loaded.forEach(CalibratedDetector::close);
        }
        return 0;
    }
}
