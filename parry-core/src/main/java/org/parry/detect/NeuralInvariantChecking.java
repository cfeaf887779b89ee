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
import org.parry.attack.Require;
import org.parry.data.ImageDataset;
import org.parry.defense.DefenseOptions;
import org.parry.model.Classifier;

/**
 * Neural network invariant checking, NIC (Ma, Liu, Tao, Lee, Zhang, "NIC: Detecting adversarial
 * samples with neural network invariant checking", NDSS 2019): a clean input's activations stay
 * inside the region the clean inputs occupy at every layer (value invariants), and the way the
 * evidence for a class develops from one layer to the next follows the clean inputs' (provenance
 * invariants). Each invariant is a ν-one-class RBF-SVM ({@link KernelSvm#oneClass}, decision value
 * g(z) = Σ_i α_i K(z_i, z) − ρ, negative outside) fitted on clean inputs only. With f_ℓ(x) the
 * features of layer ℓ = 1..L and D_ℓ a classifier predicting the model's class from f_ℓ:
 * <pre>
 *   VI_ℓ(x) = g_ℓ( f_ℓ(x) )                              ℓ = 1..L
 *   PI_ℓ(x) = h_ℓ( [D_ℓ(f_ℓ(x)), D_{ℓ+1}(f_{ℓ+1}(x))] )    ℓ = 1..L−1
 *   score(x) = − g( (s(x) − μ) / σ ),   s(x) = [VI_1..VI_L, PI_1..PI_{L−1}](x)
 * </pre>
 * with g, g_ℓ, h_ℓ one-class SVMs and the final one, g, over the standardized invariant scores, as
 * the authors' code combines them (their {@code svm_3.py}: an RBF one-class SVM, ν = 0.1, γ =
 * 'scale', over the VI and PI decision values). Larger = more adversarial.
 *
 * <p>Choices, where the paper leaves them open or is too costly for a CPU:
 * <ul>
 *   <li>Layers: every hidden layer ({@link FeatureSource}: a Parry model's stage outputs) and the
 *       logits, as the authors check every layer up to the output ({@code layers=...} names
 *       others). A layer is read flat when it has at most {@code flat} (4096) values per image,
 *       else as its channel-wise spatial means (the Mahalanobis detector's pooling; the authors
 *       reduce such layers by PCA to 5000 dimensions instead).
 *   <li>D_ℓ: one-vs-rest RBF C-SVMs ({@link KernelSvm#oneVsRest}, C = {@code c} = 1), whose K
 *       decision values stand for the paper's derived model's K class probabilities (the paper
 *       trains a softmax layer per layer), fitted on the model's predicted classes, which the
 *       derived models imitate.
 *   <li>Standardizing s by its mean and standard deviation on clean images: the one-class scores
 *       of different layers differ in scale (ρ and the α sum νn), and one γ for the final SVM
 *       would otherwise listen to the widest.
 *   <li>Data: at most {@code samples} (1000) clean images, split in halves as in DNR: g_ℓ and D_ℓ
 *       learn from the first; the provenance SVMs h_ℓ, μ, σ and the final g from the second, so
 *       that they see the invariant scores of images the per-layer models did not fit (the
 *       authors fit everything on the same images). ν = 0.1 everywhere, γ = scikit-learn's
 *       'scale' per SVM (the authors use ν = 0.01 and γ = 0.5 for their provenance SVMs).
 * </ul>
 * Every step is an NDArray operation, so {@link #scoresForGradient} is exact. Not thread-safe.
 */
public final class NeuralInvariantChecking implements Detector {

    /** The registry name. */
    public static final String NAME = "nic";
    /** The registry's one line. */
    public static final String DESCRIPTION = "Ma et al. NDSS 2019 (NIC): minus a one-class"
            + " RBF-SVM over per-layer one-class SVMs on activations (value invariants) and on"
            + " consecutive layers' one-vs-rest SVM class scores (provenance); layers=hidden,logits,"
            + " nu=0.1, c=1, gamma=scale, samples=1000, flat=4096";

    /**
     * The detector's settings.
     *
     * @param layers the layers, as {@link FeatureSource#resolve} reads them
     * @param nu ν of every one-class SVM, in (0, 1)
     * @param c C of the one-vs-rest SVMs D_ℓ
     * @param samples how many clean images to fit on, at least 4 (half per stage)
     * @param flat the largest number of values per image a layer is read flat with
     */
    public record Settings(String layers, float nu, float c, int samples, int flat) {

        public Settings {
            KernelSvm.requireNu(nu);
            KernelSvm.requirePositive("C", c);
            Require.atLeast(NAME + ": samples", samples, 4);
            Require.atLeast(NAME + ": flat", flat, 1);
        }

        /** The defaults. */
        public static Settings defaults() {
            return new Settings(FeatureSource.HIDDEN + "," + FeatureSource.LOGITS, 0.1f, 1f, 1000,
                    4096);
        }

        /** Reads the user's settings over the defaults. */
        public static Settings of(DefenseOptions options) {
            Settings d = defaults();
            return new Settings(options.getString("layers", d.layers()),
                    options.getFloat("nu", d.nu()), options.getFloat("c", d.c()),
                    options.getInt("samples", d.samples()), options.getInt("flat", d.flat()));
        }
    }

    private final FeatureSource source;
    private final Settings settings;
    private final List<String> layers;
    private final List<KernelSvm> values;
    private final List<KernelSvm> derived;
    private final List<KernelSvm> provenance;
    private final KernelSvm combiner;
    private final NDManager arrays;
    private final NDArray center;
    private final NDArray scale;

    private NeuralInvariantChecking(FeatureSource source, Settings settings, List<String> layers,
            List<KernelSvm> values, List<KernelSvm> derived, List<KernelSvm> provenance,
            KernelSvm combiner, NDManager arrays, NDArray center, NDArray scale) {
        this.source = source;
        this.settings = settings;
        this.layers = List.copyOf(layers);
        this.values = List.copyOf(values);
        this.derived = List.copyOf(derived);
        this.provenance = List.copyOf(provenance);
        this.combiner = combiner;
        this.arrays = arrays;
        this.center = center;
        this.scale = scale;
    }

    /** Fits the invariants on the clean images. */
    static Detector fit(FitData data, Settings settings) {
        FeatureSource source = FeatureSource.of(data.model());
        List<String> layers = source.resolve(settings.layers());
        Settings resolved = new Settings(String.join(",", layers), settings.nu(), settings.c(),
                settings.samples(), settings.flat());
        ImageDataset clean = NaturalSceneStatistics.subsample(data.clean(), settings.samples(),
                data.seed()).shuffled(data.seed());
        if (clean.size() < 4) {
            throw new IllegalArgumentException(NAME + ": needs at least 4 clean images (half for"
                    + " the per-layer SVMs, half for the provenance and final SVMs), got "
                    + clean.size());
        }
        int half = clean.size() / 2;
        int[] rest = new int[clean.size() - half];
        Arrays.setAll(rest, i -> half + i);
        double nu = settings.nu();
        int classes = data.model().numClasses();
        List<KernelSvm> owned = new ArrayList<>();
        NDManager arrays = NDManager.newBaseManager();
        try (NDManager scope = NDManager.newBaseManager()) {
            List<NDArray> first = features(source, layers, settings.flat(),
                    clean.first(half), scope);
            int[] predicted = predictions(source, clean.first(half), scope);
            List<KernelSvm> values = new ArrayList<>();
            List<KernelSvm> derived = new ArrayList<>();
            for (NDArray f : first) {
                double gamma = KernelSvm.scaleGamma(f);
                values.add(own(owned, KernelSvm.oneClass(f, nu, gamma)));
                derived.add(own(owned, KernelSvm.oneVsRest(f, predicted, classes, settings.c(),
                        gamma)));
            }
            List<NDArray> second = features(source, layers, settings.flat(),
                    clean.select(rest), scope);
            NDList classScores = new NDList();
            for (int l = 0; l < layers.size(); l++) {
                classScores.add(derived.get(l).decision(second.get(l)));
            }
            List<KernelSvm> provenance = new ArrayList<>();
            for (int l = 0; l + 1 < layers.size(); l++) {
                NDArray pair = classScores.get(l).concat(classScores.get(l + 1), 1);
                provenance.add(own(owned, KernelSvm.oneClass(pair, nu,
                        KernelSvm.scaleGamma(pair))));
            }
            NDArray invariants = invariants(values, provenance, second, classScores)
                    .toType(DataType.FLOAT64, false);
            NDArray center = invariants.mean(new int[] {0});
            NDArray deviation = invariants.sub(center).square().mean(new int[] {0}).sqrt();
            // A constant invariant (a layer every image passes alike) is left unscaled.
            NDArray scale = deviation.gt(0).toType(DataType.FLOAT64, false).mul(deviation)
                    .add(deviation.lte(0).toType(DataType.FLOAT64, false));
            NDArray standard = invariants.sub(center).div(scale);
            KernelSvm combiner = own(owned, KernelSvm.oneClass(standard, nu,
                    KernelSvm.scaleGamma(standard)));
            NDArray keptCenter = center.toType(DataType.FLOAT32, false);
            NDArray keptScale = scale.toType(DataType.FLOAT32, false);
            keptCenter.attach(arrays);
            keptScale.attach(arrays);
            return new NeuralInvariantChecking(source, resolved, layers, values, derived,
                    provenance, combiner, arrays, keptCenter, keptScale);
        } catch (RuntimeException e) {
            owned.forEach(KernelSvm::close);
            arrays.close();
            throw e;
        }
    }

    private static KernelSvm own(List<KernelSvm> owned, KernelSvm svm) {
        owned.add(svm);
        return svm;
    }

    /** The registry's loader. */
    static Detector load(Path directory, Classifier model, Map<String, Object> saved)
            throws IOException {
        Settings settings = Settings.of(DetectorSettings.options(saved));
        FeatureSource source = FeatureSource.of(model);
        List<String> layers = source.resolve(settings.layers());
        List<KernelSvm> owned = new ArrayList<>();
        NDManager arrays = NDManager.newBaseManager();
        try {
            Map<String, NDArray> named = DetectorArrays.load(directory, arrays);
            List<KernelSvm> values = new ArrayList<>();
            List<KernelSvm> derived = new ArrayList<>();
            List<KernelSvm> provenance = new ArrayList<>();
            for (int l = 0; l < layers.size(); l++) {
                values.add(own(owned, KernelSvm.read(named, "value." + l + ".", directory)));
                derived.add(own(owned, KernelSvm.read(named, "derived." + l + ".", directory)));
                if (l + 1 < layers.size()) {
                    provenance.add(own(owned, KernelSvm.read(named, "provenance." + l + ".",
                            directory)));
                }
            }
            KernelSvm combiner = own(owned, KernelSvm.read(named, "final.", directory));
            return new NeuralInvariantChecking(source, settings, layers, values, derived,
                    provenance, combiner, arrays,
                    DetectorArrays.require(named, "center", directory),
                    DetectorArrays.require(named, "scale", directory));
        } catch (IOException | RuntimeException e) {
            owned.forEach(KernelSvm::close);
            arrays.close();
            throw e;
        }
    }

    /**
     * A layer's features as NIC reads them: flat when it has at most {@code flat} values per
     * image, else a feature map's channel means: [N, d] of {@code features}' type.
     */
    static NDArray read(NDArray features, int flat) {
        long perImage = features.size() / features.getShape().get(0);
        return perImage > flat && features.getShape().dimension() == 4
                ? Mahalanobis.pooled(features) : PairwiseDistances.flat(features);
    }

    /** The features of every image of {@code set} at each layer, batch by batch: [N, d_ℓ]. */
    private static List<NDArray> features(FeatureSource source, List<String> layers, int flat,
            ImageDataset set, NDManager manager) {
        List<NDList> batches = new ArrayList<>();
        layers.forEach(layer -> batches.add(new NDList()));
        for (int b = 0; b < set.numBatches(SupervisedRows.BATCH); b++) {
            try (NDManager step = manager.newSubManager()) {
                List<NDArray> parts = source.features(layers,
                        set.batchNumber(step, b, SupervisedRows.BATCH).x());
                for (int l = 0; l < layers.size(); l++) {
                    NDArray part = read(parts.get(l), flat);
                    part.attach(manager);
                    batches.get(l).add(part);
                }
            }
        }
        return batches.stream().map(parts -> NDArrays.concat(parts, 0)).toList();
    }

    /** The model's predicted class of every image of {@code set}. */
    private static int[] predictions(FeatureSource source, ImageDataset set, NDManager manager) {
        NDArray logits = features(source, List.of(FeatureSource.LOGITS), Integer.MAX_VALUE, set,
                manager).get(0);
        return Arrays.stream(logits.argMax(1).toLongArray()).mapToInt(Math::toIntExact)
                .toArray();
    }

    /** [N, 2L − 1]: the value invariants' then the provenance invariants' decision values. */
    private static NDArray invariants(List<KernelSvm> values, List<KernelSvm> provenance,
            List<NDArray> features, NDList classScores) {
        NDList columns = new NDList();
        for (int l = 0; l < values.size(); l++) {
            columns.add(values.get(l).decision(features.get(l)));
        }
        for (int l = 0; l < provenance.size(); l++) {
            columns.add(provenance.get(l).decision(classScores.get(l)
                    .concat(classScores.get(l + 1), 1)));
        }
        return NDArrays.concat(columns, 1);
    }

    /** The layers NIC reads, input side first. */
    public List<String> layers() {
        return layers;
    }

    /**
     * The invariant scores of a batch, VI_1..VI_L then PI_1..PI_{L−1}, before standardization:
     * [N, 2L − 1] float32, negative where an input breaks the invariant.
     */
    public NDArray invariants(NDArray x) {
        NDManager caller = x.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(x);
            List<NDArray> features = new ArrayList<>();
            NDList classScores = new NDList();
            List<NDArray> activations = source.features(layers, x);
            for (int l = 0; l < layers.size(); l++) {
                NDArray f = read(activations.get(l), settings.flat());
                features.add(f);
                classScores.add(derived.get(l).decision(f));
            }
            NDArray invariants = invariants(values, provenance, features, classScores);
            invariants.attach(caller);
            return invariants;
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("layers", settings.layers());
        map.put("nu", settings.nu());
        map.put("c", settings.c());
        map.put("samples", settings.samples());
        map.put("flat", settings.flat());
        return map;
    }

    @Override
    public NDArray scores(NDArray x) {
        return Scopes.within(x, input -> combiner.decision(invariants(input).sub(center)
                .div(scale)).reshape(-1).neg());
    }

    @Override
    public void save(Path directory) throws IOException {
        Map<String, NDArray> named = new LinkedHashMap<>();
        for (int l = 0; l < layers.size(); l++) {
            values.get(l).put(named, "value." + l + ".");
            derived.get(l).put(named, "derived." + l + ".");
            if (l < provenance.size()) {
                provenance.get(l).put(named, "provenance." + l + ".");
            }
        }
        combiner.put(named, "final.");
        named.put("center", center);
        named.put("scale", scale);
        DetectorArrays.save(directory, named);
    }

    @Override
    public void close() {
        values.forEach(KernelSvm::close);
        derived.forEach(KernelSvm::close);
        provenance.forEach(KernelSvm::close);
        combiner.close();
        arrays.close();
    }
}
