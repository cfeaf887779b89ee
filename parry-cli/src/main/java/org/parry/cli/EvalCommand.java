package org.parry.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.eval.ConfusionMatrix;
import org.parry.io.OutputPaths;
import org.parry.model.Classifier;
import org.parry.model.Models;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code parry eval}: clean accuracy, per-class accuracy and confusion matrix. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Measure a model's clean accuracy, per-class accuracy and confusion matrix.")
final class EvalCommand implements Callable<Integer> {

    @Mixin
    DataOptions data;

    @Option(names = "--model", required = true,
            description = "A saved Parry model directory, a TorchScript .pt file or an ONNX .onnx file (query-only).")
    Path model;

    @Option(names = "--split", defaultValue = "test", description = "train or test (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--json", description = "Write the results as JSON to this file (refused if it"
            + " exists, unless --overwrite).")
    Path json;

    @Option(names = "--overwrite", description = "Replace the --json file if it exists.")
    boolean overwrite;

    @Override
    public Integer call() throws Exception {
        if (json != null) {
            OutputPaths.checkFile("--json", json, overwrite);
        }
        ImageDataset images = data.load(Split.parse(split));
        try (Classifier classifier = Models.load(model, images.imageShape())) {
            ConfusionMatrix matrix = Evaluation.measure(classifier, images, data.batchSize);
            System.out.printf("model %s on %s (%s split)%n", model, images.name(), split);
            Evaluation.print(matrix, System.out);
            Map<String, Object> results = new LinkedHashMap<>();
            results.put("model", model.toString());
            results.put("dataset", images.name());
            results.put("split", split);
            results.putAll(Evaluation.toJson(matrix));
            JsonFile.write(json, results);
        }
        return 0;
    }
}
