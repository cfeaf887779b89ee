package org.parry.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parry.attack.Require;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.defense.DefenseOptions;
import org.parry.engine.Backward;
import org.parry.model.Bounds;
import org.parry.model.Classifier;

/**
 * The Mahalanobis detector (Lee, Lee, Lee, Shin, "A simple unified framework for detecting
 * out-of-distribution samples and adversarial attacks", NeurIPS 2018): class-conditional Gaussians
 * with one tied covariance on a layer's features tell how far an input's activations are from
 * every class. Per layer ℓ, with f_ℓ(x) the channel-wise spatial mean of the activations (a flat
 * layer as it is), the class means μ_{ℓ,c} and the tied covariance Σ_ℓ of the clean fitting
 * images (by their labels):
 * <pre>
 *   D_{ℓ,c}(x) = (f_ℓ(x) − μ_{ℓ,c})ᵀ Σ_ℓ⁺ (f_ℓ(x) − μ_{ℓ,c}),     M_ℓ(x) = max_c −D_{ℓ,c}(x)
 *   input pre-processing:  x̂ = clip(x − η · sign(∇_x D_{ℓ,ĉ}(x))),  ĉ = argmin_c D_{ℓ,c}(x)
 * </pre>
 * and M_ℓ is taken at x̂ (η = 0 disables the pre-processing). With adversarial examples to fit
 * on, the per-layer scores M_ℓ are combined by a {@link LogisticRegression} (the paper's feature
 * ensemble; adversarial against clean and noisy inputs, {@link SupervisedRows}) and the score is
 * its log-odds; without, the score is the last layer's distance min_c D_{L,c}(x̂) alone.
 *
 * <p>Σ⁺ is a pseudo-inverse, as the authors' code takes it (scikit-learn's EmpiricalCovariance):
 * here Tikhonov's, (Σ² + δI)⁻¹Σ with √δ = 10⁻⁴ · tr(Σ)/d, in float64, which ignores directions in
 * which the features do not vary (dead ReLU channels) and inverts the others (relative error below
 * 10⁻⁴ for eigenvalues above 1% of the mean one). With {@code shrinkage} α > 0, Σ is first
 * replaced by (1 − α)Σ + α (tr(Σ)/d) I (for layers whose features outnumber the images).
 *
 * <p>Defaults: every hidden layer ({@link FeatureSource}), η = 0 (the paper picks η from {0,
 * 0.0005, 0.001, 0.0014, 0.002, 0.005, 0.01} on validation data; each η > 0 costs a gradient pass
 * per layer), α = 0, λ = 1. Differentiable: the pre-processing's sign step is constant almost
 * everywhere, so {@link #scoresForGradient} treats it as a constant shift, which is its exact
 * derivative there; it is computed inside the caller's collector with a second-order-capable
 * backward ({@link Backward#withGraph}). Not thread-safe.
 */
public final class Mahalanobis implements Detector {

    /** The registry name. */
    public static final String NAME = "mahalanobis";
    /** The registry's one line. */
    public static final String DESCRIPTION = "Mahalanobis (Lee et al., NeurIPS 2018): class means"
            + " and a tied covariance of every hidden layer's channel means; per-layer distances"
            + " combined by logistic regression when fitted with adversarial examples, else the"
            + " last layer's distance; input pre-processing eta = 0 (off)";

    /**
     * The detector's settings.
     *
     * @param layers the layers, as {@link FeatureSource#resolve} reads them
     * @param eta η, the input pre-processing's step (0 = none)
     * @param shrinkage α in [0, 1], the covariance's shrinkage towards a multiple of I
     * @param l2 the regression's λ
     */
    public record Settings(String layers, float eta, float shrinkage, float l2) {

        public Settings {
            Require.nonNegative("eta", eta);
            if (!(shrinkage >= 0f && shrinkage <= 1f)) {
                throw new IllegalArgumentException("shrinkage must be in [0, 1], got "
                        + shrinkage);
            }
            Require.positive("l2", l2);
        }

        /** The defaults. */
        public static Settings defaults() {
            return new Settings(FeatureSource.HIDDEN, 0f, 0f, 1f);
        }

        /** Reads the user's settings over the defaults. */
        public static Settings of(DefenseOptions options) {
            Settings d = defaults();
            return new Settings(options.getString("layers", d.layers()),
                    options.getFloat("eta", d.eta()), options.getFloat("shrinkage", d.shrinkage()),
                    options.getFloat("l2", d.l2()));
        }
    }

    private final FeatureSource source;
    private final Settings settings;
    private final List<String> layers;
    private final NDManager arrays;
    private final List<NDArray> means;
    private final List<NDArray> precisions;
    private final LogisticRegression regression;

    private Mahalanobis(FeatureSource source, Settings settings, List<String> layers,
            NDManager arrays, List<NDArray> means, List<NDArray> precisions,
            LogisticRegression regression) {
        this.source = source;
        this.settings = settings;
        this.layers = layers;
        this.arrays = arrays;
        this.means = means;
        this.precisions = precisions;
        this.regression = regression;
    }

    /** Fits the Gaussians on the clean images, then the regression when adversarial are given. */
    public static Mahalanobis fit(FitData data, Settings settings) {
        FeatureSource source = FeatureSource.of(data.model());
        List<String> layers = source.resolve(settings.layers());
        Settings resolved = new Settings(String.join(",", layers), settings.eta(),
                settings.shrinkage(), settings.l2());
        NDManager arrays = NDManager.newBaseManager();
        try {
            List<NDArray> means = new ArrayList<>();
            List<NDArray> precisions = new ArrayList<>();
            gaussians(source, layers, data.clean(), settings.shrinkage(), arrays, means,
                    precisions);
            Mahalanobis unsupervised = new Mahalanobis(source, resolved, layers, arrays, means,
                    precisions, null);
            if (data.adversarial().isEmpty()) {
                return unsupervised;
            }
            LogisticRegression regression = SupervisedRows.collect(data,
                    x -> unsupervised.distances(x, false).neg())
                    .fit(LogisticRegression.Scaling.STANDARD, settings.l2());
            return new Mahalanobis(source, resolved, layers, arrays, means, precisions,
                    regression);
        } catch (RuntimeException e) {
            arrays.close();
            throw e;
        }
    }

    /** Class means and tied pseudo-inverse covariances per layer, accumulated in float64. */
    private static void gaussians(FeatureSource source, List<String> layers, ImageDataset clean,
            float shrinkage, NDManager arrays, List<NDArray> means, List<NDArray> precisions) {
        int k = source.model().numClasses();
        long[] counts = new long[k];
        for (int label : clean.labels()) {
            counts[label]++;
        }
        for (int c = 0; c < k; c++) {
            if (counts[c] == 0) {
                throw new IllegalArgumentException(NAME + " needs clean images of every class to"
                        + " fit its class means; class " + c + " has none among the "
                        + clean.size());
            }
        }
        try (NDManager scope = arrays.newSubManager()) {
            NDArray[] sums = new NDArray[layers.size()];
            NDArray[] moments = new NDArray[layers.size()];
            for (int b = 0; b < clean.numBatches(SupervisedRows.BATCH); b++) {
                try (NDManager step = scope.newSubManager()) {
                    Batch batch = clean.batchNumber(step, b, SupervisedRows.BATCH);
                    NDArray onehot = batch.y().toType(DataType.INT64, false).oneHot(k)
                            .toType(DataType.FLOAT64, false);
                    List<NDArray> features = source.features(layers, batch.x());
                    for (int l = 0; l < layers.size(); l++) {
                        NDArray f = pooled(features.get(l)).toType(DataType.FLOAT64, false);
                        NDArray sum = onehot.transpose().matMul(f);
                        NDArray moment = f.transpose().matMul(f);
                        if (sums[l] == null) {
                            sums[l] = sum;
                            moments[l] = moment;
                            sum.attach(scope);
                            moment.attach(scope);
                        } else { // in place: memory stays flat over the batches
                            sums[l].addi(sum);
                            moments[l].addi(moment);
                        }
                    }
                }
            }
            NDArray n = scope.create(counts).toType(DataType.FLOAT64, false).reshape(k, 1);
            for (int l = 0; l < layers.size(); l++) {
                NDArray mu = sums[l].div(n);
                NDArray sigma = moments[l].sub(sums[l].transpose().matMul(mu))
                        .div(clean.size());
                NDArray mean = mu.toType(DataType.FLOAT32, false);
                NDArray precision = pseudoInverse(sigma, shrinkage, layers.get(l))
                        .toType(DataType.FLOAT32, false);
                mean.attach(arrays);
                precision.attach(arrays);
                means.add(mean);
                precisions.add(precision);
            }
        }
    }

    /** (Σ_α² + δI)⁻¹ Σ_α, symmetrized, with Σ_α shrunk by α and √δ = 1e-4 · tr(Σ_α)/d. */
    private static NDArray pseudoInverse(NDArray sigma, float shrinkage, String layer) {
        long d = sigma.getShape().get(0);
        NDArray eye = sigma.getManager().eye((int) d).toType(DataType.FLOAT64, false);
        double scale = sigma.mul(eye).sum().getDouble() / d;
        if (!(scale > 0)) {
            throw new IllegalArgumentException(NAME + ": the features of layer " + layer
                    + " do not vary over the clean images; choose other layers ("
                    + NAME + ".layers)");
        }
        NDArray shrunk = sigma.mul(1 - shrinkage).add(eye.mul(shrinkage * scale));
        double delta = Math.pow(1e-4 * scale, 2);
        NDArray pinv = shrunk.matMul(shrunk).add(eye.mul(delta)).inverse().matMul(shrunk);
        return pinv.add(pinv.transpose()).div(2);
    }

    /** A layer's features as the paper pools them: [N, C, H, W] to channel means, else flat. */
    static NDArray pooled(NDArray features) {
        Shape shape = features.getShape();
        return shape.dimension() == 4
                ? features.reshape(shape.get(0), shape.get(1), -1).mean(new int[] {2})
                : PairwiseDistances.flat(features);
    }

    /** [N, K]: D_{ℓ,c} for pooled features f of layer l. */
    private NDArray classDistances(int l, NDArray f) {
        NDArray diff = f.expandDims(1).sub(means.get(l)); // [N, 1, D] − [K, D] → [N, K, D]
        return diff.matMul(precisions.get(l)).mul(diff).sum(new int[] {2});
    }

    /**
     * [N, L]: min_c D_{ℓ,c} at each layer, at the pre-processed input x̂ when η > 0.
     *
     * @param inCollector whether a caller's gradient collector is open
     */
    NDArray distances(NDArray x, boolean inCollector) {
        NDList columns = new NDList();
        if (settings.eta() == 0f) {
            List<NDArray> features = source.features(layers, x);
            for (int l = 0; l < layers.size(); l++) {
                columns.add(classDistances(l, pooled(features.get(l))).min(new int[] {1}));
            }
        } else {
            for (int l = 0; l < layers.size(); l++) {
                columns.add(closest(l, preprocessed(l, x, inCollector)));
            }
        }
        return NDArrays.stack(columns, 1);
    }

    private NDArray closest(int l, NDArray x) {
        return classDistances(l, pooled(source.features(layers.get(l), x))).min(new int[] {1});
    }

    /** x̂ = clip(x − η sign(∇ min_c D_{ℓ,c})), the step a constant of the graph. */
    private NDArray preprocessed(int l, NDArray x, boolean inCollector) {
        NDArray leaf = x.stopGradient().duplicate();
        leaf.setRequiresGradient(true);
        if (inCollector) {
            Backward.withGraph(closest(l, leaf).sum());
        } else {
            try (GradientCollector collector = Backward.collector()) {
                Backward.run(collector, closest(l, leaf).sum());
            }
        }
        NDArray step = leaf.getGradient().stopGradient().sign().mul(settings.eta());
        Bounds bounds = source.model().bounds();
        return bounds.clip(x.sub(step));
    }

    /** Whether the per-layer scores are combined by a fitted regression. */
    public boolean supervised() {
        return regression != null;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("layers", settings.layers());
        map.put("eta", settings.eta());
        map.put("shrinkage", settings.shrinkage());
        map.put("l2", settings.l2());
        return map;
    }

    @Override
    public NDArray scores(NDArray x) {
        return score(x, false);
    }

    @Override
    public NDArray scoresForGradient(NDArray x) {
        return score(x, true);
    }

    private NDArray score(NDArray x, boolean inCollector) {
        return Scopes.within(x, input -> {
            NDArray distances = distances(input, inCollector);
            return regression != null ? regression.logits(distances.neg())
                    : distances.get(new NDIndex(":, " + (layers.size() - 1)));
        });
    }

    @Override
    public void save(Path directory) throws IOException {
        try (NDManager scope = arrays.newSubManager()) {
            Map<String, NDArray> named = new LinkedHashMap<>();
            for (int l = 0; l < layers.size(); l++) {
                named.put("mean." + l, means.get(l));
                named.put("precision." + l, precisions.get(l));
            }
            if (regression != null) {
                named.putAll(regression.arrays("regression.", scope));
            }
            DetectorArrays.save(directory, named);
        }
    }

    /** The registry's loader. */
    static Detector load(Path directory, Classifier model, Map<String, Object> settings)
            throws IOException {
        Settings s = Settings.of(DetectorSettings.options(settings));
        FeatureSource source = FeatureSource.of(model);
        List<String> layers = source.resolve(s.layers());
        NDManager arrays = NDManager.newBaseManager();
        try {
            Map<String, NDArray> named = DetectorArrays.load(directory, arrays);
            List<NDArray> means = new ArrayList<>();
            List<NDArray> precisions = new ArrayList<>();
            for (int l = 0; l < layers.size(); l++) {
                means.add(DetectorArrays.require(named, "mean." + l, directory));
                precisions.add(DetectorArrays.require(named, "precision." + l, directory));
            }
            LogisticRegression regression = named.containsKey("regression.center")
                    ? LogisticRegression.load(named, "regression.", directory) : null;
            return new Mahalanobis(source, s, layers, arrays, means, precisions, regression);
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
