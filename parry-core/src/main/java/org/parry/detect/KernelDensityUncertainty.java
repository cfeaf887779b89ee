package org.parry.detect;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.parry.attack.Require;
import org.parry.data.ImageDataset;
import org.parry.defense.DefenseOptions;
import org.parry.model.BlockClassifier;
import org.parry.model.Classifier;
import org.parry.model.Layers;

/**
 * Kernel density and Bayesian uncertainty, KD+BU (Feinman, Curtin, Shintre, Gardner, "Detecting
 * adversarial samples from artifacts", arXiv:1703.00410, 2017): adversarial examples land off the
 * data manifold of the class they are given (low density in the last hidden layer) and where the
 * network is unsure (high variance under dropout). With φ the last hidden layer, t the predicted
 * class and X_t the fitting images of class t,
 * <pre>
 *   KD(x) = (1/|X_t|) Σ_{x_i ∈ X_t} exp(−‖φ(x) − φ(x_i)‖² / (2h²))        (kept as log KD, by log-sum-exp)
 *   BU(x) = (1/T) Σ_t ŷ_tᵀ ŷ_t − ȳᵀ ȳ,   ŷ_t = softmax of the t-th of T Monte-Carlo dropout passes
 * </pre>
 * Both are standardized and combined by a {@link LogisticRegression} (λ = 1) fitted on adversarial
 * examples against clean and noisy inputs ({@link SupervisedRows}). Defaults: h = 1.2 (the
 * authors' MNIST bandwidth; re-tune it for other models), at most 5,000 fitting images per class
 * (the spec's subsample; the KDE's cost grows with it), T = 50.
 *
 * <p>BU needs dropout: a Parry model with a Dropout layer, whose draws {@link
 * Layers#dropoutLogits} makes with BatchNorm frozen; the draws come from PyTorch's generator,
 * reseeded with the fit's seed at every call so that a score is reproducible (this resets the
 * global generator, as the trainer does per epoch). {@code passes = 0} is the documented KD-only
 * variant, for models without dropout (a TorchScript model with a {@code features} method, a zoo
 * model). Deviations: the regression sees log KD rather than KD (a monotone change that keeps the
 * density's tiny values apart in float32), and BU is the spec's formula rather than the survey
 * code's mean per-class variance (the same up to the factor K, which standardization removes).
 * Differentiable almost everywhere (the predicted class is piecewise constant; dropout masks are
 * fixed by the seed). Not thread-safe.
 */
public final class KernelDensityUncertainty implements Detector {

    /** The registry name. */
    public static final String NAME = "kd-bu";
    /** The registry's one line. */
    public static final String DESCRIPTION = "KD+BU (Feinman et al., arXiv 2017): Gaussian"
            + " kernel density of the last hidden layer in the predicted class (bandwidth 1.2,"
            + " <= 5000 points per class) and MC-dropout uncertainty (50 passes; passes=0 for KD"
            + " alone), logistic regression; supervised";

    /** The layer setting's default: the last hidden layer. */
    public static final String LAST = "last";

    /**
     * The detector's settings.
     *
     * @param layer φ's layer, {@value #LAST} for the last hidden one
     * @param bandwidth h
     * @param samples the most fitting images kept per class
     * @param passes T, the Monte-Carlo dropout passes; 0 = KD alone
     * @param l2 the regression's λ
     */
    public record Settings(String layer, float bandwidth, int samples, int passes, float l2) {

        public Settings {
            Require.positive("bandwidth", bandwidth);
            Require.atLeast("samples", samples, 1);
            Require.atLeast("passes (0 for KD alone)", passes, 0);
            if (passes == 1) {
                throw new IllegalArgumentException("passes must be 0 (KD alone) or >= 2 (a"
                        + " variance needs two dropout draws), got 1");
            }
            Require.positive("l2", l2);
        }

        /** The paper's defaults for MNIST-like data. */
        public static Settings defaults() {
            return new Settings(LAST, 1.2f, 5000, 50, 1f);
        }

        /** Reads the user's settings over the defaults. */
        public static Settings of(DefenseOptions options) {
            Settings d = defaults();
            return new Settings(options.getString("layer", d.layer()),
                    options.getFloat("bandwidth", d.bandwidth()),
                    options.getInt("samples", d.samples()), options.getInt("passes", d.passes()),
                    options.getFloat("l2", d.l2()));
        }
    }

    private final FeatureSource source;
    private final Settings settings;
    private final Layers layers;
    private final Layers.Layer beforeDropout;
    private final NDManager arrays;
    private final NDArray points;
    private final NDArray pointLabels;
    private final long seed;
    private final LogisticRegression regression;

    private KernelDensityUncertainty(FeatureSource source, Settings settings, NDManager arrays,
            NDArray points, NDArray pointLabels, long seed, LogisticRegression regression) {
        this.source = source;
        this.settings = settings;
        this.arrays = arrays;
        this.points = points;
        this.pointLabels = pointLabels;
        this.seed = seed;
        this.regression = regression;
        if (settings.passes() > 0) {
            this.layers = dropoutLayers(source.model());
            Layers.Layer first = layers.dropouts().get(0);
            this.beforeDropout = layers.list().get(first.index() - 1);
        } else {
            this.layers = null;
            this.beforeDropout = null;
        }
    }

    private static Layers dropoutLayers(Classifier model) {
        if (model instanceof BlockClassifier parry) {
            Layers layers = Layers.of(parry);
            if (!layers.dropouts().isEmpty()) {
                return layers;
            }
        }
        throw new IllegalArgumentException(NAME + "'s BU needs Monte-Carlo dropout, through a"
                + " Parry model with a Dropout layer, and model '" + model.name() + "' (a "
                + model.getClass().getSimpleName() + ") has none: set " + NAME + ".passes=0 for"
                + " KD alone");
    }

    /** Fits the detector: the class-wise KDE points, then the regression. */
    public static KernelDensityUncertainty fit(FitData data, Settings settings) {
        data.requireAdversarial(NAME);
        FeatureSource source = FeatureSource.of(data.model());
        String layer = settings.layer().equals(LAST) ? source.lastHidden() : single(source,
                settings.layer());
        Settings resolved = new Settings(layer, settings.bandwidth(), settings.samples(),
                settings.passes(), settings.l2());
        if (settings.passes() > 0) {
            dropoutLayers(data.model());
        }
        ImageDataset kept = data.clean().select(perClass(data, settings.samples()));
        NDManager arrays = NDManager.newBaseManager();
        try {
            NDList features = new NDList();
            try (NDManager scope = arrays.newSubManager()) {
                for (int b = 0; b < kept.numBatches(SupervisedRows.BATCH); b++) {
                    try (NDManager step = scope.newSubManager()) {
                        NDArray f = PairwiseDistances.flat(source.features(layer,
                                kept.batchNumber(step, b, SupervisedRows.BATCH).x()));
                        f.attach(scope);
                        features.add(f);
                    }
                }
                NDArray points = NDArrays.concat(features, 0);
                points.attach(arrays);
                NDArray labels = arrays.create(kept.labels()).toType(DataType.INT64, false);
                KernelDensityUncertainty partial = new KernelDensityUncertainty(source, resolved,
                        arrays, points, labels, data.seed(), null);
                LogisticRegression regression = SupervisedRows.collect(data, partial::features)
                        .fit(LogisticRegression.Scaling.STANDARD, settings.l2());
                return new KernelDensityUncertainty(source, resolved, arrays, points, labels,
                        data.seed(), regression);
            }
        } catch (RuntimeException e) {
            arrays.close();
            throw e;
        }
    }

    private static String single(FeatureSource source, String setting) {
        List<String> names = source.resolve(setting);
        if (names.size() != 1) {
            throw new IllegalArgumentException(NAME + ".layer names one layer, got " + setting);
        }
        return names.get(0);
    }

    /** At most {@code samples} images of each class, seeded; every class at least one. */
    private static int[] perClass(FitData data, int samples) {
        ImageDataset clean = data.clean();
        int k = data.model().numClasses();
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < k; c++) {
            byClass.add(new ArrayList<>());
        }
        for (int i = 0; i < clean.size(); i++) {
            byClass.get(clean.label(i)).add(i);
        }
        SplittableRandom random = new SplittableRandom(data.seed());
        List<Integer> kept = new ArrayList<>();
        for (int c = 0; c < k; c++) {
            List<Integer> indices = byClass.get(c);
            if (indices.isEmpty()) {
                throw new IllegalArgumentException(NAME + " needs clean images of every class"
                        + " for its class densities; class " + c + " has none among the "
                        + clean.size());
            }
            for (int i = 0; i < Math.min(samples, indices.size()); i++) { // partial Fisher-Yates
                int j = i + random.nextInt(indices.size() - i);
                Integer t = indices.get(i);
                indices.set(i, indices.get(j));
                indices.set(j, t);
                kept.add(indices.get(i));
            }
        }
        return kept.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * log KD: for each row, the log of the mean Gaussian kernel exp(−d²/(2h²)) over the points of
     * its class, by log-sum-exp.
     *
     * @param features [N, D]
     * @param classes [N] the class of each row (int64)
     * @param points [M, D]
     * @param pointClasses [M] (int64); every class in {@code classes} has at least one point
     * @return [N] log densities, in {@code features}' manager
     */
    public static NDArray logDensity(NDArray features, NDArray classes, NDArray points,
            NDArray pointClasses, int numClasses, float bandwidth) {
        pointClasses = pointClasses.duplicate(); // in the caller's manager, not the detector's
        pointClasses.attach(features.getManager());
        NDArray kernel = PairwiseDistances.squared(features, points)
                .mul(-1f / (2 * bandwidth * bandwidth));
        NDArray same = classes.expandDims(1).eq(pointClasses.expandDims(0));
        NDArray masked = NDArrays.where(same, kernel,
                kernel.onesLike().mul(Float.NEGATIVE_INFINITY));
        NDArray top = masked.max(new int[] {1}, true).stopGradient();
        NDArray logSum = masked.sub(top).exp().sum(new int[] {1}).log().add(top.squeeze(1));
        NDArray counts = pointClasses.oneHot(numClasses).sum(new int[] {0})
                .toType(DataType.FLOAT32, false);
        NDArray logCount = classes.oneHot(numClasses).toType(DataType.FLOAT32, false)
                .mul(counts.log().expandDims(0)).sum(new int[] {1});
        return logSum.sub(logCount);
    }

    /** BU: the variance of the softmax over T dropout draws, summed over the classes. */
    NDArray uncertainty(NDArray x) {
        Engine.getInstance().setRandomSeed(Long.hashCode(seed));
        NDArray hidden = layers.features(beforeDropout, x);
        NDArray sum = null;
        NDArray squares = null;
        for (int t = 0; t < settings.passes(); t++) {
            NDArray p = layers.dropoutLogits(beforeDropout, hidden).softmax(1);
            NDArray square = p.square().sum(new int[] {1});
            sum = sum == null ? p : sum.add(p);
            squares = squares == null ? square : squares.add(square);
        }
        float t = settings.passes();
        return squares.div(t).sub(sum.div(t).square().sum(new int[] {1}));
    }

    /** [N, 2] (log KD, BU), or [N, 1] log KD when passes = 0. */
    NDArray features(NDArray x) {
        NDArray classes = source.model().logits(x.stopGradient()).argMax(1)
                .toType(DataType.INT64, false);
        NDArray phi = PairwiseDistances.flat(source.features(settings.layer(), x));
        NDArray kd = logDensity(phi, classes, points, pointLabels, source.model().numClasses(),
                settings.bandwidth());
        if (settings.passes() == 0) {
            return kd.expandDims(1);
        }
        return NDArrays.stack(new NDList(kd, uncertainty(x)), 1);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("layer", settings.layer());
        map.put("bandwidth", settings.bandwidth());
        map.put("samples", settings.samples());
        map.put("passes", settings.passes());
        map.put("l2", settings.l2());
        return map;
    }

    @Override
    public NDArray scores(NDArray x) {
        return Scopes.within(x, input -> regression.logits(features(input)));
    }

    @Override
    public void save(Path directory) throws IOException {
        try (NDManager scope = arrays.newSubManager()) {
            Map<String, NDArray> named = new LinkedHashMap<>();
            named.put("points", points);
            named.put("labels", pointLabels);
            named.put("seed", scope.create(new long[] {seed}));
            named.putAll(regression.arrays("regression.", scope));
            DetectorArrays.save(directory, named);
        }
    }

    /** The registry's loader. */
    static Detector load(Path directory, Classifier model, Map<String, Object> settings)
            throws IOException {
        Settings s = Settings.of(DetectorSettings.options(settings));
        FeatureSource source = FeatureSource.of(model);
        single(source, s.layer());
        NDManager arrays = NDManager.newBaseManager();
        try {
            Map<String, NDArray> named = DetectorArrays.load(directory, arrays);
            return new KernelDensityUncertainty(source, s, arrays,
                    DetectorArrays.require(named, "points", directory),
                    DetectorArrays.require(named, "labels", directory),
                    DetectorArrays.require(named, "seed", directory).getLong(0),
                    LogisticRegression.load(named, "regression.", directory));
        } catch (IOException | RuntimeException e) {
            arrays.close();
            throw e;
        }
    }

    @Override
    public void close() {
        arrays.close();
    }
}
