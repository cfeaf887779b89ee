package org.parry.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.parry.data.ImageDataset;
import org.parry.defense.DefenseOptions;
import org.parry.model.Bounds;
import org.parry.model.Classifier;

/**
 * The natural-scene-statistics detector, NSS (Kherchouche, Fezza, Hamidouche and Déforges,
 * "Detection of adversarial examples in deep neural networks with natural scene statistics", IJCNN
 * 2020): adversarial perturbations break the regular statistics of natural images, which the
 * BRISQUE features (Mittal, Moorthy and Bovik, "No-reference image quality assessment in the
 * spatial domain", IEEE TIP 2012) measure; an RBF-SVM ({@link KernelSvm}) learns clean (−1) against
 * adversarial (+1) features, and the score is its decision value. Supervised: it needs adversarial
 * examples (the survey trains it on PGD-L∞ examples at several ε).
 *
 * <p>Features, on the grey image I (the channels' mean) in [0, 255], at two scales (I, then I
 * averaged over 2 × 2 blocks, where BRISQUE resizes bicubically):
 * <pre>
 *   MSCN:  Î = (I − μ) / (σ + 1),   μ = w ∗ I,   σ = √|w ∗ I² − μ²|
 * </pre>
 * with w the 7 × 7 Gaussian of standard deviation 7/6 normalized over the pixels inside the image
 * (w ∗ 1 divides out the zero padding, so a constant image gives Î = 0 everywhere); then a
 * generalized Gaussian (GGD) fit of Î, (α, σ²), and asymmetric GGD (AGGD) fits (α, η, σ_l², σ_r²)
 * of the products of Î with its right, lower, lower-right and lower-left neighbour (products of
 * pixels inside the image, where BRISQUE wraps around): 18 features per scale, 36 in all. The fits
 * are BRISQUE's moment matching: with ρ(α) = Γ(2/α)² / (Γ(1/α) Γ(3/α)),
 * <pre>
 *   GGD:   σ² = E[v²],   α = ρ⁻¹( E[|v|]² / E[v²] )
 *   AGGD:  σ_l² = E[v² | v < 0],  σ_r² = E[v² | v > 0],  γ = σ_l / σ_r,
 *          α = ρ⁻¹( E[|v|]² / E[v²] · (γ³ + 1)(γ + 1) / (γ² + 1)² ),
 *          η = (σ_r − σ_l) · Γ(2/α) / √(Γ(1/α) Γ(3/α))
 * </pre>
 * BRISQUE inverts ρ by the nearest point of a grid α ∈ {0.2, 0.201, ..., 10}; here ρ⁻¹ and
 * Γ(2/α)/√(Γ(1/α)Γ(3/α)) are interpolated linearly between the grid's points, which agrees with the
 * grid to its step and is differentiable. The features are standardized (mean and standard
 * deviation of the fitting set) before the SVM (C = 1 and scikit-learn's γ = 1/(d·Var) by default;
 * the paper tunes both by cross-validation). Every step is an NDArray operation in the input's
 * type (float32 for images: DJL's type casts would cut the autograd graph), so {@link
 * #scoresForGradient} is the score with its exact gradient (almost everywhere).
 */
public final class NaturalSceneStatistics implements Detector {

    /** The registry name. */
    public static final String NAME = "nss";

    private static final int WINDOW = 7;
    private static final double WINDOW_SIGMA = 7.0 / 6.0;
    private static final double STABILITY = 1;
    private static final double TINY = 1e-12;
    private static final double GRID_START = 0.2;
    private static final double GRID_STEP = 0.001;
    private static final double[] RHO;
    private static final double[] MEAN_FACTOR;

    static {
        int size = (int) Math.round((10 - GRID_START) / GRID_STEP) + 1;
        RHO = new double[size];
        MEAN_FACTOR = new double[size];
        for (int k = 0; k < size; k++) {
            double alpha = GRID_START + k * GRID_STEP;
            double g1 = logGamma(1 / alpha);
            double g2 = logGamma(2 / alpha);
            double g3 = logGamma(3 / alpha);
            RHO[k] = Math.exp(2 * g2 - g1 - g3);
            MEAN_FACTOR[k] = Math.exp(g2 - 0.5 * (g1 + g3));
        }
    }

    private final KernelSvm svm;
    private final NDManager manager;
    private final NDArray mean;
    private final NDArray scale;
    private final Map<String, Object> settings;
    private final Bounds bounds;

    private NaturalSceneStatistics(KernelSvm svm, double[] mean, double[] scale,
            Map<String, Object> settings, Bounds bounds) {
        this.svm = svm;
        this.bounds = bounds;
        this.manager = NDManager.newBaseManager();
        this.mean = manager.create(mean);
        this.scale = manager.create(scale);
        this.settings = Map.copyOf(settings);
    }

    /**
     * The user's settings, checked.
     *
     * @param c the SVM's C
     * @param gamma the RBF kernel's γ, or {@code scale}
     * @param samples images per set the SVM learns from
     */
    record Settings(double c, String gamma, int samples) {

        static Settings of(DefenseOptions options) {
            double c = options.getFloat("c", 1f);
            KernelSvm.requirePositive("C", c);
            String gamma = options.getString("gamma", "scale");
            if (!gamma.equals("scale")) {
                parseGamma(gamma);
            }
            int samples = options.getInt("samples", 1000);
            if (samples < 2) {
                throw new IllegalArgumentException(NAME + ": samples must be >= 2 (clean images,"
                        + " and adversarial ones, the SVM learns from), got " + samples);
            }
            return new Settings(c, gamma, samples);
        }
    }

    static Detector fit(FitData data, Settings settings) {
        double c = settings.c();
        String gammaText = settings.gamma();
        Double fixedGamma = gammaText.equals("scale") ? null : parseGamma(gammaText);
        int samples = settings.samples();
        Bounds bounds = data.model().bounds();
        ImageDataset clean = subsample(data.clean(), samples, data.seed());
        NDArray features;
        boolean[] adversarial;
        try (NDManager scope = NDManager.newBaseManager()) {
            NDList parts = new NDList(features(clean, bounds, scope));
            int positives = 0;
            for (ImageDataset set : data.adversarial().values()) {
                NDArray part = features(subsample(set, samples, data.seed()), bounds, scope);
                positives += Math.toIntExact(part.getShape().get(0));
                parts.add(part);
            }
            NDArray all = NDArrays.concat(parts, 0).toType(DataType.FLOAT64, false);
            adversarial = new boolean[clean.size() + positives];
            Arrays.fill(adversarial, clean.size(), adversarial.length, true);
            double[] mean = all.mean(new int[] {0}).toDoubleArray();
            double[] scale = all.sub(all.mean(new int[] {0})).square().mean(new int[] {0}).sqrt()
                    .maximum(TINY).toDoubleArray();
            NDArray standardized = all.sub(scope.create(mean)).div(scope.create(scale));
            double gamma = fixedGamma == null ? KernelSvm.scaleGamma(standardized) : fixedGamma;
            Map<String, Object> own = new LinkedHashMap<>();
            own.put("c", c);
            own.put("gamma", gammaText);
            own.put("samples", samples);
            KernelSvm svm = KernelSvm.binary(standardized, adversarial, c, gamma);
            return new NaturalSceneStatistics(svm, mean, scale, own, bounds);
        }
    }

    static Detector load(Path directory, Classifier model, Map<String, Object> settings)
            throws IOException {
        try (NDManager scope = NDManager.newBaseManager()) {
            Map<String, NDArray> arrays = DetectorArrays.load(directory, scope);
            KernelSvm svm = KernelSvm.read(arrays, "svm.", directory);
            return new NaturalSceneStatistics(svm,
                    DetectorArrays.require(arrays, "mean", directory).toDoubleArray(),
                    DetectorArrays.require(arrays, "scale", directory).toDoubleArray(),
                    settings, model.bounds());
        }
    }

    private static double parseGamma(String text) {
        try {
            double gamma = Double.parseDouble(text);
            KernelSvm.requirePositive("gamma", gamma);
            return gamma;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(NAME + ": gamma=" + text + " is neither 'scale'"
                    + " nor a number; give gamma=scale (1/(d·Var)) or e.g. gamma=0.05");
        }
    }

    /** At most {@code limit} images of {@code set}, a seeded random choice when there are more. */
    static ImageDataset subsample(ImageDataset set, int limit, long seed) {
        return set.size() <= limit ? set : set.shuffled(seed).first(limit);
    }

    /** The features of every image of {@code set}, batch by batch: [N, 36] float64. */
    private static NDArray features(ImageDataset set, Bounds bounds, NDManager manager) {
        int batchSize = 128;
        NDList batches = new NDList();
        for (int b = 0; b < set.numBatches(batchSize); b++) {
            try (NDManager step = manager.newSubManager()) {
                NDArray part = features(set.batchNumber(step, b, batchSize).x(), bounds);
                part.attach(manager);
                batches.add(part);
            }
        }
        return NDArrays.concat(batches, 0);
    }

    /**
     * The BRISQUE features of a batch.
     *
     * @param x [N, C, H, W] in {@code bounds}, at least 2 × 2 pixels
     * @return [N, 36] of {@code x}'s type, in {@code x}'s manager
     */
    public static NDArray features(NDArray x, Bounds bounds) {
        Shape shape = x.getShape();
        if (shape.dimension() != 4 || shape.get(2) < 4 || shape.get(3) < 4) {
            throw new IllegalArgumentException(NAME + ": expected images [N, C, H, W] of at least"
                    + " 4 x 4 pixels, got " + shape);
        }
        NDArray grey = x.sub(bounds.lower()).div(bounds.range()).mean(new int[] {1}, true)
                .mul(255);
        NDList features = new NDList();
        for (int level = 0; level < 2; level++) {
            NDArray normalized = mscn(grey);
            long n = shape.get(0);
            features.add(ggd(normalized.reshape(n, -1)));
            long h = normalized.getShape().get(2);
            long w = normalized.getShape().get(3);
            String rows = "0:" + (h - 1);
            features.add(aggd(pair(normalized, ":, :, :, 0:" + (w - 1), ":, :, :, 1:")));
            features.add(aggd(pair(normalized, ":, :, " + rows, ":, :, 1:")));
            features.add(aggd(pair(normalized, ":, :, " + rows + ", 0:" + (w - 1),
                    ":, :, 1:, 1:")));
            features.add(aggd(pair(normalized, ":, :, " + rows + ", 1:",
                    ":, :, 1:, 0:" + (w - 1))));
            grey = halve(grey);
        }
        return NDArrays.concat(features, 1);
    }

    private static NDArray pair(NDArray normalized, String first, String second) {
        return normalized.get(first).mul(normalized.get(second))
                .reshape(normalized.getShape().get(0), -1);
    }

    /** The mean over 2 × 2 blocks (an odd last row or column dropped). */
    private static NDArray halve(NDArray grey) {
        long n = grey.getShape().get(0);
        long h = grey.getShape().get(2) / 2;
        long w = grey.getShape().get(3) / 2;
        return grey.get(":, :, 0:" + 2 * h + ", 0:" + 2 * w).reshape(n, 1, h, 2, w, 2)
                .mean(new int[] {5}).mean(new int[] {3});
    }

    /**
     * Mean-subtracted contrast-normalized coefficients Î = (I − μ) / (σ + 1).
     *
     * @param grey [N, 1, H, W] in [0, 255]
     * @return [N, 1, H, W] of the same type
     */
    static NDArray mscn(NDArray grey) {
        double[] weights = new double[WINDOW * WINDOW];
        int half = WINDOW / 2;
        for (int a = 0; a < WINDOW; a++) {
            for (int b = 0; b < WINDOW; b++) {
                weights[a * WINDOW + b] = Math.exp(-((a - half) * (a - half) + (b - half)
                        * (b - half)) / (2 * WINDOW_SIGMA * WINDOW_SIGMA));
            }
        }
        NDArray kernel = grey.getManager().create(weights, new Shape(1, 1, WINDOW, WINDOW))
                .toType(grey.getDataType(), false);
        NDArray inside = smooth(grey.onesLike(), kernel);
        NDArray mu = smooth(grey, kernel).div(inside);
        NDArray sigma = smooth(grey.square(), kernel).div(inside).sub(mu.square()).abs().sqrt();
        return grey.sub(mu).div(sigma.add(STABILITY));
    }

    private static NDArray smooth(NDArray image, NDArray kernel) {
        int half = WINDOW / 2;
        NDArray bias = kernel.getManager().zeros(new Shape(1), kernel.getDataType());
        return Conv2d.conv2d(image, kernel, bias, new Shape(1, 1), new Shape(half, half),
                new Shape(1, 1), 1).singletonOrThrow();
    }

    /**
     * GGD fit per row, by moment matching: (α, σ²).
     *
     * @param v [N, M] samples, one row per fit
     * @return [N, 2] of the same type
     */
    static NDArray ggd(NDArray v) {
        NDArray second = v.square().mean(new int[] {1});
        NDArray first = v.abs().mean(new int[] {1});
        NDArray alpha = interpolate(first.square().div(second.add(TINY)))[0];
        return NDArrays.stack(new NDList(alpha, second), 1);
    }

    /**
     * AGGD fit per row, by moment matching: (α, η, σ_l², σ_r²).
     *
     * @param v [N, M] samples, one row per fit
     * @return [N, 4] of the same type
     */
    static NDArray aggd(NDArray v) {
        NDArray negative = v.stopGradient().lt(0).toType(v.getDataType(), false);
        NDArray positive = v.stopGradient().gt(0).toType(v.getDataType(), false);
        NDArray squares = v.square();
        NDArray left = squares.mul(negative).sum(new int[] {1})
                .div(negative.sum(new int[] {1}).maximum(1));
        NDArray right = squares.mul(positive).sum(new int[] {1})
                .div(positive.sum(new int[] {1}).maximum(1));
        NDArray leftStd = left.add(TINY).sqrt();
        NDArray rightStd = right.add(TINY).sqrt();
        NDArray ratio = leftStd.div(rightStd);
        NDArray r = v.abs().mean(new int[] {1}).square().div(squares.mean(new int[] {1}).add(TINY));
        NDArray big = r.mul(ratio.pow(3).add(1)).mul(ratio.add(1))
                .div(ratio.square().add(1).square());
        NDArray[] fit = interpolate(big);
        NDArray eta = rightStd.sub(leftStd).mul(fit[1]);
        return NDArrays.stack(new NDList(fit[0], eta, left, right), 1);
    }

    /**
     * α = ρ⁻¹(r) and Γ(2/α)/√(Γ(1/α)Γ(3/α)) at that α, both linear between the grid's points;
     * r outside ρ's range is clipped to it.
     */
    private static NDArray[] interpolate(NDArray r) {
        double[] values = r.stopGradient().toType(DataType.FLOAT64, false).toDoubleArray();
        int cells = RHO.length - 1;
        double[] lowRho = new double[values.length];
        double[] slope = new double[values.length];
        double[] lowAlpha = new double[values.length];
        double[] lowFactor = new double[values.length];
        double[] factorSlope = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            int k = Arrays.binarySearch(RHO, values[i]);
            k = k >= 0 ? k : -k - 2;
            k = Math.max(0, Math.min(cells - 1, k));
            lowRho[i] = RHO[k];
            double width = RHO[k + 1] - RHO[k];
            slope[i] = 1 / width;
            lowAlpha[i] = GRID_START + k * GRID_STEP;
            lowFactor[i] = MEAN_FACTOR[k];
            factorSlope[i] = MEAN_FACTOR[k + 1] - MEAN_FACTOR[k];
        }
        NDArray t = r.clip(RHO[0], RHO[cells]).sub(constant(r, lowRho))
                .mul(constant(r, slope));
        NDArray alpha = t.mul(GRID_STEP).add(constant(r, lowAlpha));
        NDArray factor = t.mul(constant(r, factorSlope)).add(constant(r, lowFactor));
        return new NDArray[] {alpha, factor};
    }

    /** {@code values} as an array of {@code like}'s type in its manager. */
    private static NDArray constant(NDArray like, double[] values) {
        return like.getManager().create(values).toType(like.getDataType(), false);
    }

    /** ln Γ(z) for z > 0, Lanczos (g = 7, n = 9), relative error below 1e-13. */
    static double logGamma(double z) {
        if (z < 0.5) {
            return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * z))) - logGamma(1 - z);
        }
        double[] c = {0.99999999999980993, 676.5203681218851, -1259.1392167224028,
            771.32342877765313, -176.61502916214059, 12.507343278686905,
            -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};
        double x = z - 1;
        double sum = c[0];
        for (int i = 1; i < c.length; i++) {
            sum += c[i] / (x + i);
        }
        double t = x + 7.5;
        return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(sum);
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
        return Scopes.within(x, input -> {
            NDArray features = features(input, bounds);
            DataType type = features.getDataType();
            // casts of the detector's own arrays in this scope, not in the detector's manager
            NDArray center = mean.toType(type, true);
            NDArray spread = scale.toType(type, true);
            center.attach(input.getManager());
            spread.attach(input.getManager());
            return svm.decision(features.sub(center).div(spread)).get(":, 0")
                    .toType(DataType.FLOAT32, false);
        });
    }

    @Override
    public void save(Path directory) throws IOException {
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        svm.put(arrays, "svm.");
        arrays.put("mean", mean);
        arrays.put("scale", scale);
        DetectorArrays.save(directory, arrays);
    }

    @Override
    public void close() {
        svm.close();
        manager.close();
    }
}
