package org.parry.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.parry.detect.CalibratedDetector;
import org.parry.model.Classifier;
import picocli.CommandLine.Option;

/** The options of commands that use fitted detectors: the model and the detectors' directories. */
final class DetectorOptions {

    @Option(names = "--model", required = true, description = "The model the detectors were"
            + " fitted for: a saved Parry model directory, a TorchScript .pt or an ONNX .onnx.")
    Path model;

    @Option(names = "--detector", required = true, description = "A fitted detector's directory"
            + " (repeatable).")
    List<Path> detectors = new ArrayList<>();

    /**
     * The detectors, loaded for {@code classifier}; the caller closes them.
     *
     * @throws IOException when a directory holds no detector, or one fitted for another model
     */
    List<CalibratedDetector> load(Classifier classifier) throws IOException {
        List<CalibratedDetector> loaded = new ArrayList<>();
        try {
            for (Path directory : detectors) {
                loaded.add(CalibratedDetector.load(directory, classifier));
            }
            return loaded;
        } catch (IOException | RuntimeException e) {
            loaded.forEach(CalibratedDetector::close);
            throw e;
        }
    }
}
