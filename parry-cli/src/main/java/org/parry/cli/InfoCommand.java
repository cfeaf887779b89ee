package org.parry.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.parry.data.DataSets;
import org.parry.engine.EngineFacts;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.model.Classifier;
import org.parry.model.InputShapeException;
import org.parry.model.ModelCard;
import org.parry.model.Models;
import org.parry.model.OnnxClassifier;
import org.parry.model.SavedModel;
import org.parry.model.zoo.CifsProbe;
import org.parry.model.zoo.ClassifierHead;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code parry info}: what a model file or a data set is. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Describe a saved model, a TorchScript or ONNX file or a data set.")
final class InfoCommand implements Callable<Integer> {

    static final class Target {
        @Option(names = "--model", description = "A saved Parry model directory, a TorchScript .pt file or an ONNX .onnx file (query-only).")
        Path model;

        @Option(names = "--dataset", description = "fashion-mnist, mnist, cifar10 or synthetic.")
        String dataset;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    @Option(names = "--data-dir", description = "Directory holding the data set's files.")
    Path dataDir;

    @Option(names = "--input-shape", split = ",", description = "C,H,W of a TorchScript or ONNX model's input (default: 1,28,28); the other commands"
                    + " take the shape of their data set's images.")
    int[] inputShape = {1, 28, 28};

    @Option(names = "--json", description = "Write the description as JSON to this file.")
    Path json;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> info = target.model != null ? describeModel() : describeDataset();
        info.put("engine", EngineFacts.describe());
        info.forEach((key, value) -> System.out.printf("%-18s %s%n", key + ":", value));
        JsonFile.write(json, info);
        return 0;
    }

    private Map<String, Object> describeModel() throws Exception {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("path", target.model.toString());
        if (SavedModel.isSavedModel(target.model)) {
            ModelCard card = SavedModel.readCard(target.model);
            info.put("kind", "Parry model (white-box)");
            info.put("architecture", card.architecture()
                    + (card.width() > 0 ? " width " + card.width() : "")
                    + (card.activation().equals("relu") ? "" : ", " + card.activation())
                    + (card.firstStride() == 1 ? "" : ", first stride " + card.firstStride())
                    + (card.cifs().equals(CifsProbe.NONE.id()) ? "" : ", cifs " + card.cifs()
                            + " probe (beta " + card.cifsBeta() + ")")
                    + (card.denoise().equals(ModelCard.NO_DENOISING) ? ""
                            : ", denoise " + card.denoise())
                    + (card.head().equals(ClassifierHead.LINEAR.id()) ? ""
                            : ", " + card.head() + " head (scale " + card.cosineScale() + ")"));
            info.put("defense", card.training().getOrDefault("defense",
                    Map.of("name", card.training().getOrDefault("objective", "standard"))));
            info.put("input_shape", Arrays.toString(card.inputShape()));
            info.put("classes", card.classNames());
            info.put("normalization", "mean " + Arrays.toString(card.normalization().mean())
                    + ", std " + Arrays.toString(card.normalization().std()));
            info.put("dataset", card.dataset());
            info.put("dataset_sha256", card.datasetSha256());
            Map<String, Object> training = new LinkedHashMap<>(card.training());
            training.keySet().removeAll(List.of("defense", "history"));
            info.put("training", training);
            info.put("metrics", card.metrics());
            info.put("seed", card.seed());
            info.put("parry_version", card.parryVersion());
            info.put("created_at", card.createdAt());
            return info;
        }
        ai.djl.ndarray.types.Shape shape = new ai.djl.ndarray.types.Shape(
                inputShape[0], inputShape[1], inputShape[2]);
        try (Classifier model = Models.load(target.model, shape)) {
            info.put("kind", model instanceof OnnxClassifier onnx ? onnx.describe()
                    : "TorchScript (white-box: gradients through the module)");
            info.put("input_shape", Arrays.toString(inputShape));
            info.put("classes", model.numClasses());
        } catch (InputShapeException e) {
            throw new InputShapeException(e.path(), e.inputShape(), e.getMessage()
                    + "; give that shape with --input-shape C,H,W", e.getCause());
        }
        return info;
    }

    private Map<String, Object> describeDataset() throws Exception {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("dataset", target.dataset);
        for (Split split : Split.values()) {
            ImageDataset data = DataSets.load(target.dataset, dataDir, split);
            int[] counts = new int[data.numClasses()];
            for (int label : data.labels()) {
                counts[label]++;
            }
            info.put(split.id() + "_images", data.size());
            info.put(split.id() + "_per_class", Arrays.toString(counts));
            info.put(split.id() + "_sha256", data.sha256());
            info.putIfAbsent("image_shape", data.imageShape().toString());
            info.putIfAbsent("classes", List.copyOf(data.classNames()));
        }
        return info;
    }
}
