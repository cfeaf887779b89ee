package org.parry.model;

import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything needed to rebuild and understand a saved Parry model, stored as {@code model.json}
 * beside its weights: architecture, input shape, classes, normalization, the data set it was
 * trained on, the training settings and metrics, the seed and the Parry version.
 *
 * @param format version of this file's layout
 * @param architecture model-zoo name, e.g. {@code small-cnn}
 * @param width the architecture's base width (0 = its default)
 * @param inputShape (C, H, W)
 * @param classNames one name per class
 * @param normalization the mean/std layer in front of the network
 * @param dataset the training data set's name
 * @param datasetSha256 SHA-256 of the training data (pixels and labels)
 * @param training the training settings, as written by the trainer
 * @param metrics measured results, e.g. {@code test_accuracy}
 * @param seed the training seed
 * @param parryVersion the Parry version that wrote the file
 * @param createdAt ISO-8601 time of writing
 */
public record ModelCard(
        int format,
        String architecture,
        int width,
        int[] inputShape,
        List<String> classNames,
        Normalization normalization,
        String dataset,
        String datasetSha256,
        Map<String, Object> training,
        Map<String, Double> metrics,
        long seed,
        String parryVersion,
        String createdAt) {

    /** The layout version this Parry writes and reads. */
    public static final int FORMAT = 1;

    public ModelCard {
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(normalization, "normalization");
        if (inputShape == null || inputShape.length != 3) {
            throw new IllegalArgumentException("inputShape must be (C, H, W)");
        }
        if (classNames == null || classNames.size() < 2) {
            throw new IllegalArgumentException("a model card needs >= 2 class names");
        }
        inputShape = inputShape.clone();
        classNames = List.copyOf(classNames);
        training = training == null ? Map.of() : Map.copyOf(training);
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
    }

    /** The input shape as a DJL shape. */
    public Shape shape() {
        return new Shape(inputShape[0], inputShape[1], inputShape[2]);
    }

    /** K, the number of classes. */
    public int numClasses() {
        return classNames.size();
    }

    /** A copy with these metrics added (replacing equal keys). */
    public ModelCard withMetrics(Map<String, Double> more) {
        Map<String, Double> merged = new java.util.TreeMap<>(metrics);
        merged.putAll(more);
        return new ModelCard(format, architecture, width, inputShape, classNames, normalization,
                dataset, datasetSha256, training, merged, seed, parryVersion, createdAt);
    }
}
