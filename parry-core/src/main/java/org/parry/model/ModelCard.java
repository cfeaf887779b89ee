package org.parry.model;

import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.model.zoo.CifsProbe;
import org.parry.model.zoo.ClassifierHead;
import org.parry.model.zoo.Denoiser;
import org.parry.model.zoo.Nonlinearity;

/**
 * Everything needed to rebuild and understand a saved Parry model, stored as {@code model.json}
 * beside its weights: architecture, input shape, classes, normalization, the data set it was
 * trained on, the training settings and metrics, the seed and the Parry version.
 *
 * @param format version of this file's layout
 * @param architecture model-zoo name, e.g. {@code small-cnn}
 * @param width the architecture's base width (0 = its default)
 * @param activation the hidden layers' activation function ({@code relu} when absent)
 * @param firstStride the first convolution's stride (1 when absent)
 * @param inputShape (C, H, W)
 * @param classNames one name per class
 * @param normalization the mean/std layer in front of the network
 * @param dataset the training data set's name
 * @param datasetSha256 SHA-256 of the training data (pixels and labels)
 * @param training the training settings, the defense and its settings, and the per-epoch
 *     history, as written by the training job
 * @param metrics measured results, e.g. {@code test_accuracy}
 * @param seed the training seed
 * @param parryVersion the Parry version that wrote the file
 * @param createdAt ISO-8601 time of writing
 * @param cifs the probe of the architecture's CIFS block ({@code none} when absent)
 * @param cifsBeta the CIFS probes' weight in the joint loss (the default 2 when absent)
 * @param denoise the operation of the architecture's feature-denoising block ({@code none} when
 *     absent)
 * @param head the last layer, {@code linear} or {@code cosine} ({@code linear} when absent)
 * @param cosineScale a cosine head's scale s (the default 8 when absent)
 * @param dropout the rate of the dropout layer before the last layer (0, none, when absent)
 */
public record ModelCard(
        int format,
        String architecture,
        int width,
        String activation,
        int firstStride,
        int[] inputShape,
        List<String> classNames,
        Normalization normalization,
        String dataset,
        String datasetSha256,
        Map<String, Object> training,
        Map<String, Double> metrics,
        long seed,
        String parryVersion,
        String createdAt,
        String cifs,
        float cifsBeta,
        String denoise,
        String head,
        float cosineScale,
        float dropout) {

    /** The {@link #denoise()} of a network without a feature-denoising block. */
    public static final String NO_DENOISING = "none";

    /** The layout version this Parry writes and reads. */
    public static final int FORMAT = 1;

    public ModelCard {
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(normalization, "normalization");
        activation = activation == null ? Nonlinearity.RELU.id() : Nonlinearity.parse(activation).id();
        firstStride = firstStride == 0 ? 1 : firstStride;
        cifs = cifs == null ? CifsProbe.NONE.id() : CifsProbe.parse(cifs).id();
        cifsBeta = cifsBeta == 0f ? ArchitectureOptions.DEFAULT_CIFS_BETA : cifsBeta;
        denoise = denoise == null || denoise.equals(NO_DENOISING) ? NO_DENOISING
                : Denoiser.parse(denoise).id();
        head = head == null ? ClassifierHead.LINEAR.id() : ClassifierHead.parse(head).id();
        cosineScale = cosineScale == 0f ? ArchitectureOptions.DEFAULT_COSINE_SCALE : cosineScale;
        if (inputShape == null || inputShape.length != 3) {
            throw new IllegalArgumentException("inputShape must be (C, H, W)");
        }
        if (classNames == null || classNames.size() < 2) {
            throw new IllegalArgumentException("a model card needs >= 2 class names");
        }
        inputShape = inputShape.clone();
        classNames = List.copyOf(classNames);
        training = training == null ? Map.of()
                : Collections.unmodifiableMap(new LinkedHashMap<>(training));
        metrics = metrics == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(metrics));
    }

    /** A card without a dropout layer. */
    public ModelCard(int format, String architecture, int width, String activation,
            int firstStride, int[] inputShape, List<String> classNames,
            Normalization normalization, String dataset, String datasetSha256,
            Map<String, Object> training, Map<String, Double> metrics, long seed,
            String parryVersion, String createdAt, String cifs, float cifsBeta, String denoise,
            String head, float cosineScale) {
        this(format, architecture, width, activation, firstStride, inputShape, classNames,
                normalization, dataset, datasetSha256, training, metrics, seed, parryVersion,
                createdAt, cifs, cifsBeta, denoise, head, cosineScale, 0f);
    }

    /** A card for an architecture without robust blocks, with a linear head. */
    public ModelCard(int format, String architecture, int width, String activation,
            int firstStride, int[] inputShape, List<String> classNames,
            Normalization normalization, String dataset, String datasetSha256,
            Map<String, Object> training, Map<String, Double> metrics, long seed,
            String parryVersion, String createdAt) {
        this(format, architecture, width, activation, firstStride, inputShape, classNames,
                normalization, dataset, datasetSha256, training, metrics, seed, parryVersion,
                createdAt, null, 0f, null, null, 0f);
    }

    /** A card for a network built with these options (width, activation, robust blocks). */
    public ModelCard withOptions(ArchitectureOptions options) {
        return new ModelCard(format, architecture, options.width(), options.activation().id(),
                options.firstStride(), inputShape, classNames, normalization, dataset,
                datasetSha256, training, metrics, seed, parryVersion, createdAt,
                options.cifs().id(), options.cifsBeta(),
                options.denoise() == null ? NO_DENOISING : options.denoise().id(),
                options.head().id(), options.cosineScale(), options.dropout());
    }

    /**
     * How the architecture is built: width, activation, first-layer stride, robust blocks, head.
     */
    public ArchitectureOptions options() {
        return new ArchitectureOptions(width, Nonlinearity.parse(activation), firstStride)
                .withCifs(CifsProbe.parse(cifs), cifsBeta)
                .withDenoise(denoise.equals(NO_DENOISING) ? null : Denoiser.parse(denoise))
                .withHead(ClassifierHead.parse(head), cosineScale).withDropout(dropout);
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
        Map<String, Double> merged = new TreeMap<>(metrics);
        merged.putAll(more);
        return new ModelCard(format, architecture, width, activation, firstStride, inputShape,
                classNames, normalization, dataset, datasetSha256, training, merged, seed,
                parryVersion, createdAt, cifs, cifsBeta, denoise, head, cosineScale, dropout);
    }

    /** A copy with one more entry in the training section (e.g. the per-epoch history). */
    public ModelCard withTraining(String key, Object value) {
        Map<String, Object> more = new LinkedHashMap<>(training);
        more.put(key, value);
        return new ModelCard(format, architecture, width, activation, firstStride, inputShape,
                classNames, normalization, dataset, datasetSha256, more, metrics, seed,
                parryVersion, createdAt, cifs, cifsBeta, denoise, head, cosineScale, dropout);
    }
}
