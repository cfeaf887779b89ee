package org.parry.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
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
import org.parry.model.Classifier;

/**
 * Local intrinsic dimensionality (Ma, Li, Wang, Erfani, Wijewickrema, Schoenebeck, Song, Houle,
 * Bailey, "Characterizing adversarial subspaces using local intrinsic dimensionality", ICLR 2018):
 * adversarial examples sit where the activations' local dimensionality is higher than clean
 * inputs'. Per layer ℓ (activations flattened), with r_i(x) the distance from x to its i-th
 * nearest point among B clean reference activations, the maximum-likelihood estimate
 * <pre>
 *   LID_ℓ(x) = −( (1/k) Σ_{i=1..k} log( r_i(x) / r_k(x) ) )⁻¹
 * </pre>
 * Defaults (the survey's MNIST settings): k = 20, B = 100, every hidden layer and the logits;
 * the vector of LIDs is min-max scaled and combined by a {@link LogisticRegression} (λ = 1) fitted
 * on adversarial examples against clean and noisy inputs ({@link SupervisedRows}).
 *
 * <p>Deviations from the authors' code, which scores each input of a minibatch against that same
 * clean minibatch: the B reference points are drawn once at fit time (seeded), from clean images
 * other than those paired with adversarial examples when there are enough, and kept, so a deployed
 * detector scores one input at a time; a reference point at distance exactly 0 is the input itself
 * and is skipped (their code drops the nearest point of every input, also of adversarial ones,
 * which are never in the minibatch). Needs the activations of the classifier ({@link
 * FeatureSource}). Scores are differentiable almost everywhere (the sort that finds the neighbours
 * is piecewise a permutation). Not thread-safe.
 */
public final class LocalIntrinsicDimensionality implements Detector {

    /** The registry name. */
    public static final String NAME = "lid";
    /** The registry's one line. */
    public static final String DESCRIPTION = "LID (Ma et al., ICLR 2018): local intrinsic"
            + " dimensionality of every hidden layer and the logits among B = 100 clean reference"
            + " points, k = 20 neighbours, min-max scaled, logistic regression; supervised";

    /**
     * The detector's settings.
     *
     * @param k neighbours in the estimate
     * @param reference B, the clean reference points
     * @param layers the layers, as {@link FeatureSource#resolve} reads them
     * @param l2 the regression's λ
     */
    public record Settings(int k, int reference, String layers, float l2) {

        public Settings {
            Require.atLeast("k", k, 2);
            Require.atLeast("reference (B, the clean reference points; must exceed k)", reference,
                    k + 1);
            Require.positive("l2", l2);
        }

        /** The paper's defaults for MNIST-like data. */
        public static Settings defaults() {
            return new Settings(20, 100, FeatureSource.HIDDEN + "," + FeatureSource.LOGITS, 1f);
        }

        /** Reads the user's settings over the defaults. */
        public static Settings of(DefenseOptions options) {
            Settings d = defaults();
            return new Settings(options.getInt("k", d.k()),
                    options.getInt("reference", d.reference()),
                    options.getString("layers", d.layers()), options.getFloat("l2", d.l2()));
        }
    }

    private final FeatureSource source;
    private final Settings settings;
    private final List<String> layers;
    private final NDManager arrays;
    private final List<NDArray> reference;
    private final LogisticRegression regression;

    private LocalIntrinsicDimensionality(FeatureSource source, Settings settings,
            List<String> layers, NDManager arrays, List<NDArray> reference,
            LogisticRegression regression) {
        this.source = source;
        this.settings = settings;
        this.layers = layers;
        this.arrays = arrays;
        this.reference = reference;
        this.regression = regression;
    }

    /** Fits the detector: draws the reference points, then the regression. */
    public static LocalIntrinsicDimensionality fit(FitData data, Settings settings) {
        data.requireAdversarial(NAME);
        FeatureSource source = FeatureSource.of(data.model());
        List<String> layers = source.resolve(settings.layers());
        ImageDataset picked = data.clean().select(referenceIndices(data, settings.reference()));
        NDManager arrays = NDManager.newBaseManager();
        try {
            List<NDArray> reference = new ArrayList<>();
            try (NDManager scope = arrays.newSubManager()) {
                NDArray x = picked.batch(scope, 0, picked.size()).x();
                for (NDArray features : source.features(layers, x)) {
                    NDArray flat = PairwiseDistances.flat(features);
                    flat.attach(arrays);
                    reference.add(flat);
                }
            }
            Settings resolved = new Settings(settings.k(), settings.reference(),
                    String.join(",", layers), settings.l2());
            LocalIntrinsicDimensionality partial = new LocalIntrinsicDimensionality(source,
                    resolved, layers, arrays, reference, null);
            LogisticRegression regression = SupervisedRows.collect(data, partial::lids)
                    .fit(LogisticRegression.Scaling.MIN_MAX, settings.l2());
            return new LocalIntrinsicDimensionality(source, resolved, layers, arrays, reference,
                    regression);
        } catch (RuntimeException e) {
            arrays.close();
            throw e;
        }
    }

    /**
     * B distinct clean images, seeded: from those not paired with adversarial examples when there
     * are at least B of them, else from all.
     */
    private static int[] referenceIndices(FitData data, int b) {
        int size = data.clean().size();
        int paired = data.adversarial().values().stream().mapToInt(ImageDataset::size).max()
                .orElse(0);
        if (size < b) {
            throw new IllegalArgumentException(NAME + " needs at least reference = " + b
                    + " clean images to draw its reference points from, got " + size + "; give"
                    + " more clean images or lower " + NAME + ".reference");
        }
        int from = size - paired >= b ? paired : 0;
        int[] pool = new int[size - from];
        for (int i = 0; i < pool.length; i++) {
            pool[i] = from + i;
        }
        SplittableRandom random = new SplittableRandom(data.seed());
        for (int i = 0; i < b; i++) { // partial Fisher-Yates
            int j = i + random.nextInt(pool.length - i);
            int t = pool[i];
            pool[i] = pool[j];
            pool[j] = t;
        }
        return java.util.Arrays.copyOf(pool, b);
    }

    /**
     * The LID estimate of each row from its squared distances to the reference points, those at
     * distance 0 (the point itself) skipped: −2k / Σ_{i≤k} (log d²_i − log d²_k), which is the
     * estimate above since log(r_i/r_k) = (log d²_i − log d²_k)/2.
     *
     * @param squaredDistances [N, M] squared distances, M − (zeros per row) ≥ k
     * @return [N] estimates, in the argument's manager
     */
    public static NDArray estimate(NDArray squaredDistances, int k) {
        NDArray skipped = NDArrays.where(squaredDistances.eq(0),
                squaredDistances.onesLike().mul(Float.POSITIVE_INFINITY), squaredDistances);
        NDArray nearest = skipped.sort(1).get(new NDIndex(":, :" + k)).log();
        NDArray last = nearest.get(new NDIndex(":, " + (k - 1) + ":" + k));
        NDArray sum = nearest.sub(last).sum(new int[] {1});
        return sum.neg().maximum(1e-12f).pow(-1).mul(2f * k);
    }

    /** [N, L]: the LID of each input at each layer. */
    NDArray lids(NDArray x) {
        List<NDArray> features = source.features(layers, x);
        NDList columns = new NDList();
        for (int l = 0; l < layers.size(); l++) {
            NDArray squared = PairwiseDistances.squared(PairwiseDistances.flat(features.get(l)),
                    reference.get(l));
            columns.add(estimate(squared, settings.k()));
        }
        return NDArrays.stack(columns, 1);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("k", settings.k());
        map.put("reference", settings.reference());
        map.put("layers", settings.layers());
        map.put("l2", settings.l2());
        return map;
    }

    @Override
    public NDArray scores(NDArray x) {
        return Scopes.within(x, input -> regression.logits(lids(input)));
    }

    @Override
    public void save(Path directory) throws IOException {
        try (NDManager scope = arrays.newSubManager()) {
            Map<String, NDArray> named = new LinkedHashMap<>();
            for (int l = 0; l < layers.size(); l++) {
                named.put("reference." + l, reference.get(l));
            }
            named.putAll(regression.arrays("regression.", scope));
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
            List<NDArray> reference = new ArrayList<>();
            for (int l = 0; l < layers.size(); l++) {
                reference.add(DetectorArrays.require(named, "reference." + l, directory));
            }
            return new LocalIntrinsicDimensionality(source, s, layers, arrays, reference,
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
