package org.parry.model.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.parry.model.BlockClassifier;

/**
 * The denoising operations against brute-force references and their fixed points, and the
 * residual block's zero start, formula and input gradient.
 */
class FeatureDenoisingTest {

    /** Not square, so that a swapped height and width shows. */
    private static final Shape SHAPE = new Shape(2, 3, 5, 6);
    private static final double BATCH_NORM_EPSILON = 1e-5;

    @Test
    void gaussianWeightRowsAreDistributions() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray theta = manager.randomNormal(new Shape(2, 4, 30)).toType(DataType.FLOAT64, false);
            NDArray phi = manager.randomNormal(new Shape(2, 4, 30)).toType(DataType.FLOAT64, false);
            NDArray weights = Denoiser.gaussianWeights(theta, phi);
            assertThat(weights.getShape()).isEqualTo(new Shape(2, 30, 30));
            assertThat(weights.min().getDouble()).isPositive();
            for (double sum : weights.sum(new int[] {2}).toDoubleArray()) {
                assertThat(sum).isCloseTo(1, within(1e-12));
            }
        }
    }

    @Test
    void bilateralWeightsSumToOneOverTheWindowAndGiveNothingOutsideTheMap() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomNormal(SHAPE).toType(DataType.FLOAT64, false);
            NDArray weights = Denoiser.windowWeights(x, Denoiser.neighbourhood(x, 0));
            assertThat(weights.getShape()).isEqualTo(new Shape(2, 9, 5, 6));
            for (double sum : weights.sum(new int[] {1}).toDoubleArray()) {
                assertThat(sum).isCloseTo(1, within(1e-12));
            }
            // window offsets in row-major order: top-left corner lacks rows/columns -1
            for (int k : new int[] {0, 1, 2, 3, 6}) {
                assertThat(weights.get(new NDIndex(":, {}, 0, 0", k)).toDoubleArray())
                        .as("offset %d at the top-left corner", k).containsOnly(0.0);
            }
            for (int k : new int[] {2, 5, 6, 7, 8}) {
                assertThat(weights.get(new NDIndex(":, {}, 4, 5", k)).toDoubleArray())
                        .as("offset %d at the bottom-right corner", k).containsOnly(0.0);
            }
            assertThat(weights.get(new NDIndex(":, :, 2, 3")).min().getDouble()).isPositive();
        }
    }

    @ParameterizedTest
    @EnumSource(value = Denoiser.class, names = {"NONLOCAL", "NONLOCAL_DOT", "BILATERAL", "MEAN", "MEDIAN"})
    void eachDenoiserMatchesABruteForceReference(Denoiser denoiser) {
        Random random = new Random(denoiser.ordinal());
        double[] x = BlockSandwich.normal(Math.toIntExact(SHAPE.size()), random);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray array = manager.create(x, SHAPE);
            double[] actual = denoiser.apply(array, array, array).toDoubleArray();
            double[] expected = reference(denoiser, x, x, x, SHAPE, 3);
            for (int i = 0; i < x.length; i++) {
                assertThat(actual[i]).as("%s at %d", denoiser, i).isCloseTo(expected[i], within(1e-10));
            }
        }
    }

    @Test
    void embeddedNonLocalMeansWeighsByTheProjectionsAndAveragesTheMap() {
        Random random = new Random(11);
        Shape embedded = new Shape(2, 2, 5, 6);
        double[] x = BlockSandwich.normal(Math.toIntExact(SHAPE.size()), random);
        double[] theta = BlockSandwich.normal(Math.toIntExact(embedded.size()), random);
        double[] phi = BlockSandwich.normal(Math.toIntExact(embedded.size()), random);
        try (NDManager manager = NDManager.newBaseManager()) {
            double[] actual = Denoiser.NONLOCAL_EMBEDDED.apply(manager.create(x, SHAPE),
                    manager.create(theta, embedded), manager.create(phi, embedded)).toDoubleArray();
            double[] expected = reference(Denoiser.NONLOCAL_EMBEDDED, x, theta, phi, SHAPE, 2);
            for (int i = 0; i < x.length; i++) {
                assertThat(actual[i]).isCloseTo(expected[i], within(1e-10));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Denoiser.class, names = {"NONLOCAL", "BILATERAL", "MEAN", "MEDIAN"})
    void aConstantMapIsAFixedPoint(Denoiser denoiser) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = constantMap(manager);
            NDArray denoised = denoiser.apply(x, x, x);
            assertThat(denoised.sub(x).abs().max().getDouble()).isLessThan(1e-12);
        }
    }

    @Test
    void theDotProductScalesAConstantMapBySquaredNorm() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = constantMap(manager);
            NDArray denoised = Denoiser.NONLOCAL_DOT.apply(x, x, x);
            // per sample b, c_b = x[b, :, 0, 0]: D(x) = ||c_b||^2 x
            NDArray c = x.get(new NDIndex(":, :, 0, 0"));
            NDArray squaredNorms = c.mul(c).sum(new int[] {1}).reshape(2, 1, 1, 1);
            assertThat(Arrays.stream(squaredNorms.toDoubleArray()).map(v -> Math.abs(v - 1)).min()
                    .orElseThrow()).as("factors far from 1, so the fixed point would fail").isGreaterThan(0.5);
            assertThat(denoised.sub(x.mul(squaredNorms)).abs().max().getDouble()).isLessThan(1e-12);
        }
    }

    @ParameterizedTest
    @EnumSource(Denoiser.class)
    void aFreshBlockIsExactlyTheIdentityInEvaluationAndTraining(Denoiser denoiser) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Shape shape = new Shape(3, 4, 5, 5);
            FeatureDenoising block = new FeatureDenoising(4, denoiser);
            block.initialize(manager, DataType.FLOAT32, shape);
            NDArray x = manager.randomNormal(shape);
            for (boolean training : new boolean[] {false, true}) {
                NDArray y = BlockSandwich.forward(block, manager, x, training);
                assertThat(y.toFloatArray()).as("training=%s", training)
                        .containsExactly(x.toFloatArray());
            }
            assertThat(parameter(block, "gamma").getArray().toFloatArray()).containsOnly(0f);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Denoiser.class, names = {"NONLOCAL", "NONLOCAL_DOT", "BILATERAL", "MEAN", "MEDIAN"})
    void aBlockWithUnitScaleAddsTheMixedDenoisedMap(Denoiser denoiser) {
        try (NDManager manager = NDManager.newBaseManager()) {
            FeatureDenoising block = new FeatureDenoising(3, denoiser);
            block.initialize(manager, DataType.FLOAT64, SHAPE);
            BlockSandwich.set(parameter(block, "gamma"), new double[] {1, 1, 1});
            NDArray x = manager.randomNormal(SHAPE).toType(DataType.FLOAT64, false);
            NDArray y = BlockSandwich.forward(block, manager, x, false);
            // evaluation mode: running mean 0 and variance 1, so BN(z) = z / sqrt(1 + eps)
            NDArray mixing = parameter(block, "conv_weight").getArray().reshape(3, 3);
            NDArray denoised = denoiser.apply(x, x, x).reshape(2, 3, -1);
            NDArray expected = x.add(mixing.matMul(denoised).reshape(SHAPE)
                    .div(Math.sqrt(1 + BATCH_NORM_EPSILON)));
            assertThat(y.sub(x).abs().max().getDouble()).isGreaterThan(1e-2);
            // 1e-10, not 1e-12: DJL keeps ε as the float 1e-5f, 2.5e-13 off the double 1e-5
            assertThat(y.sub(expected).abs().max().getDouble()).isLessThan(1e-10);
        }
    }

    @ParameterizedTest
    @EnumSource(Denoiser.class)
    void inputGradientMatchesFiniteDifferencesInFloat64(Denoiser denoiser) {
        FeatureDenoising block = new FeatureDenoising(4, denoiser);
        try (BlockClassifier model = BlockSandwich.classifier(block, 4, DataType.FLOAT64, 6)) {
            randomize(block, new Random(denoiser.ordinal()));
            assertThat(BlockSandwich.inputGradientError(model)).as("%s", denoiser).isLessThan(1e-3);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Denoiser.class, names = {"NONLOCAL_EMBEDDED", "MEDIAN"})
    void float32GradientMatchesFloat64(Denoiser denoiser) {
        FeatureDenoising block = new FeatureDenoising(4, denoiser);
        try (BlockClassifier single = BlockSandwich.classifier(block, 4, DataType.FLOAT32, 7);
                BlockClassifier twin = BlockSandwich.classifier(
                        new FeatureDenoising(4, denoiser), 4, DataType.FLOAT64, 7)) {
            randomize(block, new Random(7));
            assertThat(BlockSandwich.float32GradientGap(single, twin)).isLessThan(1e-4);
        }
    }

    @Test
    void savedParametersAndStatisticsLoadIntoAFreshBlock() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            FeatureDenoising trained = new FeatureDenoising(3, Denoiser.NONLOCAL_EMBEDDED);
            trained.initialize(manager, DataType.FLOAT32, SHAPE);
            randomize(trained, new Random(10));
            // a training pass moves the running statistics away from (0, 1)
            BlockSandwich.forward(trained, manager, manager.randomNormal(SHAPE).add(2), true);
            FeatureDenoising loaded = new FeatureDenoising(3, Denoiser.NONLOCAL_EMBEDDED);
            loaded.initialize(manager, DataType.FLOAT32, SHAPE);
            BlockSandwich.saveAndLoad(trained, loaded, manager);
            NDArray x = manager.randomNormal(SHAPE);
            float[] expected = BlockSandwich.forward(trained, manager, x, false).toFloatArray();
            assertThat(expected).isNotEqualTo(x.toFloatArray());
            assertThat(BlockSandwich.forward(loaded, manager, x, false).toFloatArray())
                    .containsExactly(expected);
        }
    }

    @Test
    void badSettingsAndInputsAreRejectedClearly() {
        assertThatThrownBy(() -> new FeatureDenoising(1, Denoiser.NONLOCAL_EMBEDDED))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs C >= 2, got 1");
        assertThatThrownBy(() -> Denoiser.parse("gaussian"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown denoiser 'gaussian'")
                .hasMessageContaining("nonlocal-embedded");
        assertThat(Denoiser.parse(" Nonlocal-Dot ")).isEqualTo(Denoiser.NONLOCAL_DOT);
        try (NDManager manager = NDManager.newBaseManager()) {
            FeatureDenoising block = new FeatureDenoising(4, Denoiser.MEAN);
            assertThatThrownBy(() -> block.initialize(manager, DataType.FLOAT32, SHAPE))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("expects inputs of shape (N, 4, H, W), got (2, 3, 5, 6)");
        }
    }

    /**
     * A trained-looking block: γ away from 0 (else the block is the identity), projections strong
     * enough that the embedded softmax is far from uniform.
     */
    private static void randomize(FeatureDenoising block, Random random) {
        for (Parameter p : block.getParameters().values()) {
            switch (p.getType()) {
                case GAMMA -> BlockSandwich.setNormal(p, 1, 0.2, random);
                case BETA -> BlockSandwich.setNormal(p, 0, 0.1, random);
                case WEIGHT -> BlockSandwich.setNormal(p, 0, 0.5, random);
                default -> { }
            }
        }
    }

    private static Parameter parameter(FeatureDenoising block, String suffix) {
        return block.getParameters().stream()
                .filter(pair -> pair.getKey().endsWith(suffix))
                .findFirst().orElseThrow().getValue();
    }

    /** x[b, c, h, w] = c_b[c], random per sample and channel. */
    private static NDArray constantMap(NDManager manager) {
        double[] values = BlockSandwich.normal(6, new Random(8));
        return manager.create(values, new Shape(2, 3, 1, 1)).broadcast(SHAPE).duplicate();
    }

    /**
     * D(x) straight from the definitions, one output value at a time.
     *
     * @param theta the features compared on the side of i, [B, d, H, W] (x except when embedded)
     * @param phi the same on the side of j
     */
    private static double[] reference(Denoiser denoiser, double[] x, double[] theta, double[] phi,
            Shape shape, int d) {
        int batch = (int) shape.get(0);
        int channels = (int) shape.get(1);
        int height = (int) shape.get(2);
        int width = (int) shape.get(3);
        int positions = height * width;
        double[] y = new double[x.length];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < positions; i++) {
                int[] near = candidates(denoiser, i, height, width);
                double[] w = new double[near.length];
                for (int n = 0; n < near.length; n++) {
                    for (int c = 0; c < d; c++) {
                        w[n] += theta[(b * d + c) * positions + i] * phi[(b * d + c) * positions + near[n]];
                    }
                }
                switch (denoiser) {
                    case NONLOCAL, NONLOCAL_EMBEDDED, BILATERAL -> softmax(w, Math.sqrt(d));
                    case NONLOCAL_DOT -> Arrays.setAll(w, n -> w[n] / positions);
                    default -> Arrays.fill(w, 1.0 / near.length);
                }
                for (int c = 0; c < channels; c++) {
                    int base = (b * channels + c) * positions;
                    double out = 0;
                    if (denoiser == Denoiser.MEDIAN) {
                        double[] values = Arrays.stream(near).mapToDouble(j -> x[base + j]).sorted().toArray();
                        out = values[(values.length - 1) / 2];
                    } else {
                        for (int n = 0; n < near.length; n++) {
                            out += w[n] * x[base + near[n]];
                        }
                    }
                    y[base + i] = out;
                }
            }
        }
        return y;
    }

    /** The positions D averages over at position i: all, or the valid ones of the 3×3 window. */
    private static int[] candidates(Denoiser denoiser, int i, int height, int width) {
        if (denoiser == Denoiser.NONLOCAL || denoiser == Denoiser.NONLOCAL_EMBEDDED
                || denoiser == Denoiser.NONLOCAL_DOT) {
            return IntStream.range(0, height * width).toArray();
        }
        int row = i / width;
        int column = i % width;
        IntStream.Builder near = IntStream.builder();
        for (int u = row - 1; u <= row + 1; u++) {
            for (int v = column - 1; v <= column + 1; v++) {
                if (u >= 0 && u < height && v >= 0 && v < width) {
                    near.add(u * width + v);
                }
            }
        }
        return near.build().toArray();
    }

    private static void softmax(double[] logits, double scale) {
        double max = Arrays.stream(logits).max().orElseThrow() / scale;
        double sum = 0;
        for (int n = 0; n < logits.length; n++) {
            logits[n] = Math.exp(logits[n] / scale - max);
            sum += logits[n];
        }
        for (int n = 0; n < logits.length; n++) {
            logits[n] /= sum;
        }
    }
}
