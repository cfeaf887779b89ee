package org.parry.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.parry.data.ImageDataset;
import org.parry.defense.DefenseOptions;
import org.parry.model.Classifier;
import org.parry.model.Layers.Layer;
import org.parry.model.Layers;

/**
 * Deep neural rejection, DNR (Sotgiu, Demontis, Melis, Biggio, Fumera, Feng and Roli, "Deep
 * neural rejection against adversarial examples", EURASIP Journal on Information Security 2020):
 * an input whose representations in the network's last layers fit no class well is rejected. On
 * each of the last three layers ℓ, one-vs-rest RBF-SVMs ({@link KernelSvm}) score every class,
 * s_ℓ,c(x); a combiner RBF-SVM, one-vs-rest again, scores the classes from the concatenated layer
 * scores; DNR rejects when the best combined score is below a threshold, so the detection score is
 * <pre>
 *   score(x) = − max_c  s_c( s_1(x), s_2(x), s_3(x) )
 * </pre>
 * Unsupervised: fitted on clean images and their labels only. The layers are the outputs of the
 * network's last three stages ({@link Layers#stageOutputs()}: small-cnn's two poolings and its
 * hidden fully connected layer; fewer when the network has fewer), or {@code layers=PATH,...}.
 * As in the paper, the layer SVMs and the combiner learn from disjoint halves of the (at most
 * {@code samples}, default 1000) clean images, so that the combiner sees the layer scores of
 * images the layer SVMs did not fit. C = 1 and scikit-learn's γ = 1/(d·Var) per layer by default
 * (the paper tunes both by cross-validation). The SVMs' decision values and the layer features are
 * NDArray operations, so {@link #scoresForGradient} is exact; it needs one of Parry's own models,
 * whose layers {@link Layers} reads.
 */
public final class DeepNeuralRejection implements Detector {

    /** The registry name. */
    public static final String NAME = "dnr";

    private final Layers layers;
    private final List<Layer> chosen;
    private final List<KernelSvm> layerSvms;
    private final KernelSvm combiner;
    private final Map<String, Object> settings;

    private DeepNeuralRejection(Layers layers, List<Layer> chosen, List<KernelSvm> layerSvms,
            KernelSvm combiner, Map<String, Object> settings) {
        this.layers = layers;
        this.chosen = List.copyOf(chosen);
        this.layerSvms = List.copyOf(layerSvms);
        this.combiner = combiner;
        this.settings = Map.copyOf(settings);
    }

    /**
     * The user's settings, checked.
     *
     * @param c the SVMs' C
     * @param samples clean images the SVMs learn from
     * @param layers comma-separated layer paths, empty for the last three stages
     */
    record Settings(double c, int samples, String layers) {

        static Settings of(DefenseOptions options) {
            double c = options.getFloat("c", 1f);
            KernelSvm.requirePositive("C", c);
            return new Settings(c, options.getInt("samples", 1000),
                    options.getString("layers", ""));
        }
    }

    static Detector fit(FitData data, Settings own) {
        double c = own.c();
        int samples = own.samples();
        String paths = own.layers();
        Layers layers = Layers.of(data.model());
        List<Layer> chosen = choose(layers, paths);
        ImageDataset clean = NaturalSceneStatistics.subsample(data.clean(), samples, data.seed())
                .shuffled(data.seed());
        if (samples < 4 || clean.size() < 4) {
            throw new IllegalArgumentException(NAME + ": needs at least 4 clean images (half for"
                    + " the layer SVMs, half for the combiner), got samples=" + samples + " and "
                    + data.clean().size() + " images");
        }
        int half = clean.size() / 2;
        ImageDataset first = clean.first(half);
        int[] rest = new int[clean.size() - half];
        Arrays.setAll(rest, i -> half + i);
        ImageDataset second = clean.select(rest);
        int classes = data.model().numClasses();
        List<KernelSvm> layerSvms = new ArrayList<>();
        try (NDManager scope = NDManager.newBaseManager()) {
            for (Layer layer : chosen) {
                NDArray features = features(layers, layer, first, scope);
                layerSvms.add(KernelSvm.oneVsRest(features, first.labels(), classes, c,
                        KernelSvm.scaleGamma(features)));
            }
            NDList scores = new NDList();
            for (int l = 0; l < chosen.size(); l++) {
                scores.add(layerSvms.get(l).decision(features(layers, chosen.get(l), second,
                        scope)));
            }
            NDArray combined = NDArrays.concat(scores, 1);
            KernelSvm combiner = KernelSvm.oneVsRest(combined, second.labels(), classes, c,
                    KernelSvm.scaleGamma(combined));
            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("layers", chosen.stream().map(Layer::path)
                    .collect(Collectors.joining(",")));
            settings.put("c", c);
            settings.put("samples", samples);
            return new DeepNeuralRejection(layers, chosen, layerSvms, combiner, settings);
        } catch (RuntimeException e) {
            layerSvms.forEach(KernelSvm::close);
            throw e;
        }
    }

    static Detector load(Path directory, Classifier model, Map<String, Object> settings)
            throws IOException {
        Layers layers = Layers.of(model);
        List<KernelSvm> layerSvms = new ArrayList<>();
        try (NDManager scope = NDManager.newBaseManager()) {
            Map<String, NDArray> arrays = DetectorArrays.load(directory, scope);
            List<Layer> chosen = new ArrayList<>();
            for (long index : DetectorArrays.require(arrays, "layers", directory).toLongArray()) {
                if (index < 0 || index >= layers.list().size()) {
                    throw new IOException(directory + ": layer " + index + " is not a layer of"
                            + " model '" + model.name() + "'; fit the detector for this model");
                }
                chosen.add(layers.list().get((int) index));
            }
            for (int l = 0; l < chosen.size(); l++) {
                layerSvms.add(KernelSvm.read(arrays, "layer" + l + ".", directory));
            }
            KernelSvm combiner = KernelSvm.read(arrays, "combiner.", directory);
            return new DeepNeuralRejection(layers, chosen, layerSvms, combiner, settings);
        } catch (IOException | RuntimeException e) {
            layerSvms.forEach(KernelSvm::close);
            throw e;
        }
    }

    /** The layers named by {@code paths}, or the outputs of the last three stages. */
    private static List<Layer> choose(Layers layers, String paths) {
        if (!paths.isBlank()) {
            return Arrays.stream(paths.split(",")).map(String::strip).map(layers::layer).toList();
        }
        List<Layer> stages = layers.stageOutputs();
        if (stages.isEmpty()) {
            throw new IllegalArgumentException(NAME + ": model '" + layers.model().name()
                    + "' has no hidden stage (a linear model); name layers with layers=PATH,...: "
                    + layers.describe());
        }
        return stages.subList(Math.max(0, stages.size() - 3), stages.size());
    }

    /** A layer's flattened outputs for every image of {@code set}: [N, d] float32. */
    private static NDArray features(Layers layers, Layer layer, ImageDataset set,
            NDManager manager) {
        int batchSize = 128;
        NDList batches = new NDList();
        for (int b = 0; b < set.numBatches(batchSize); b++) {
            try (NDManager step = manager.newSubManager()) {
                NDArray x = set.batchNumber(step, b, batchSize).x();
                NDArray part = layers.features(layer, x).reshape(x.getShape().get(0), -1);
                part.attach(manager);
                batches.add(part);
            }
        }
        return NDArrays.concat(batches, 0);
    }

    /** The layers DNR reads, input side first. */
    public List<Layer> layers() {
        return chosen;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Object> settings() {
        return settings;
    }

    @Override
    public NDArray scores(NDArray x) {
        NDList scores = new NDList();
        long n = x.getShape().get(0);
        for (int l = 0; l < chosen.size(); l++) {
            scores.add(layerSvms.get(l).decision(layers.features(chosen.get(l), x).reshape(n, -1)));
        }
        return combiner.decision(NDArrays.concat(scores, 1)).max(new int[] {1}).neg()
                .toType(DataType.FLOAT32, false);
    }

    @Override
    public void save(Path directory) throws IOException {
        try (NDManager scope = NDManager.newBaseManager()) {
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            arrays.put("layers", scope.create(chosen.stream().mapToLong(Layer::index).toArray()));
            for (int l = 0; l < layerSvms.size(); l++) {
                layerSvms.get(l).put(arrays, "layer" + l + ".");
            }
            combiner.put(arrays, "combiner.");
            DetectorArrays.save(directory, arrays);
        }
    }

    @Override
    public void close() {
        layerSvms.forEach(KernelSvm::close);
        combiner.close();
    }
}
