package org.parry.model.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.parry.engine.Backward;
import org.parry.model.BlockClassifier;

/** Sparta's activation limits, its depthwise gate, parameter transfer and its input gradient. */
class SpartaTest {

    private static final Shape SHAPE = new Shape(2, 3, 5, 6);

    @Test
    void aFreshModuleIsExactlySilu() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Sparta sparta = initialized(new Sparta(3), manager);
            NDArray x = manager.randomNormal(SHAPE).toType(DataType.FLOAT64, false);
            NDArray y = BlockSandwich.forward(sparta, manager, x, false);
            assertThat(y.getShape()).isEqualTo(x.getShape());
            // off-centre taps are 0, the bias is 0: φ(x) = 1·x exactly, so y = SiLU(x) exactly
            assertThat(y.toDoubleArray()).containsExactly(Nonlinearity.SILU.apply(x).toDoubleArray());
        }
    }

    @Test
    void aCentreTapBetaGivesSwish() {
        double beta = 1.7;
        try (NDManager manager = NDManager.newBaseManager()) {
            Sparta sparta = initialized(new Sparta(3), manager);
            BlockSandwich.set(weight(sparta), centreOnly(3, 3, beta));
            double[] x = BlockSandwich.normal(Math.toIntExact(SHAPE.size()), new Random(1));
            double[] y = BlockSandwich.forward(sparta, manager, manager.create(x, SHAPE), false)
                    .toDoubleArray();
            for (int i = 0; i < x.length; i++) {
                assertThat(y[i]).isCloseTo(x[i] * sigmoid(beta * x[i]), within(1e-12));
            }
        }
    }

    @Test
    void aLargeCentreTapGivesRelu() {
        double c = 1e4;
        try (NDManager manager = NDManager.newBaseManager()) {
            Sparta sparta = initialized(new Sparta(3), manager);
            BlockSandwich.set(weight(sparta), centreOnly(3, 3, c));
            // |x σ(c x) - relu(x)| = |x| σ(-c|x|) < |x| e^{-c|x|}: below 5e-8 for |x| >= 1e-3 (the
            // gap peaks at 0.28 / c = 3e-5 near |x| = 1/c, so inputs keep away from 0)
            Random random = new Random(2);
            double[] x = new double[Math.toIntExact(SHAPE.size())];
            for (int i = 0; i < x.length; i++) {
                x[i] = (random.nextBoolean() ? 1 : -1) * (1e-3 + 3 * random.nextDouble());
            }
            double[] y = BlockSandwich.forward(sparta, manager, manager.create(x, SHAPE), false)
                    .toDoubleArray();
            for (int i = 0; i < x.length; i++) {
                assertThat(y[i]).isCloseTo(Math.max(x[i], 0), within(1e-6));
            }
        }
    }

    @Test
    void theGateIsASigmoidOfADepthwiseSamePaddedConvolution() {
        Random random = new Random(3);
        int channels = 3;
        int k = 3;
        try (NDManager manager = NDManager.newBaseManager()) {
            Sparta sparta = initialized(new Sparta(channels, k), manager);
            double[] w = BlockSandwich.normal(channels * k * k, random);
            double[] b = BlockSandwich.normal(channels, random);
            BlockSandwich.set(weight(sparta), w);
            BlockSandwich.set(sparta.getParameters().get("bias"), b);
            double[] x = BlockSandwich.normal(Math.toIntExact(SHAPE.size()), random);
            NDArray out = BlockSandwich.forward(sparta, manager, manager.create(x, SHAPE), false);
            assertThat(out.getShape()).isEqualTo(SHAPE);
            double[] y = out.toDoubleArray();
            double[] expected = bruteForce(x, w, b, SHAPE, k);
            for (int i = 0; i < x.length; i++) {
                assertThat(y[i]).isCloseTo(expected[i], within(1e-12));
                double gate = y[i] / x[i];
                assertThat(gate).as("gate at %d", i).isGreaterThan(0).isLessThan(1);
            }
        }
    }

    @Test
    void copiedParametersGiveIdenticalOutputsAndFindAllListsEveryModule() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block source = new SequentialBlock().add(new Sparta(3)).add(
                    new SequentialBlock().add(new Sparta(3, 5)));
            Block target = new SequentialBlock().add(new Sparta(3)).add(
                    new SequentialBlock().add(new Sparta(3, 5)));
            source.initialize(manager, DataType.FLOAT32, SHAPE);
            target.initialize(manager, DataType.FLOAT64, SHAPE);
            List<Sparta> from = Sparta.findAll(source);
            List<Sparta> to = Sparta.findAll(target);
            assertThat(from).extracting(Sparta::kernel).containsExactly(3, 5);
            Random random = new Random(4);
            for (Sparta sparta : from) {
                for (Parameter parameter : sparta.getParameters().values()) {
                    BlockSandwich.setNormal(parameter, 0, 1, random);
                }
            }
            NDArray x = manager.randomNormal(SHAPE);
            NDArray before = BlockSandwich.forward(target, manager, x.toType(DataType.FLOAT64, false), false);
            NDArray expected = BlockSandwich.forward(source, manager, x, false);
            assertThat(before.toType(DataType.FLOAT32, false).toFloatArray())
                    .isNotEqualTo(expected.toFloatArray());
            for (int i = 0; i < from.size(); i++) {
                Sparta.copyParameters(from.get(i), to.get(i));
            }
            NDArray after = BlockSandwich.forward(target, manager, x.toType(DataType.FLOAT64, false), false);
            // the target runs the source's float32 weights in float64: equal up to float32 rounding
            assertThat(after.toType(DataType.FLOAT32, false).sub(expected).abs().max().getFloat())
                    .isLessThan(1e-5f);
            assertThat(to.get(0).getParameters().get("weight").getArray().toType(DataType.FLOAT32, false)
                    .toFloatArray())
                    .containsExactly(from.get(0).getParameters().get("weight").getArray().toFloatArray());
        }
    }

    @Test
    void copyingBetweenDifferentWidthsIsRejected() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Sparta narrow = initialized(new Sparta(3), manager);
            Sparta wide = new Sparta(8);
            wide.initialize(manager, DataType.FLOAT64, new Shape(1, 8, 4, 4));
            assertThatThrownBy(() -> Sparta.copyParameters(narrow, wide))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("over 3 channels")
                    .hasMessageContaining("over 8 channels")
                    .hasMessageContaining("same stage widths");
            assertThatThrownBy(() -> Sparta.copyParameters(narrow, new Sparta(3)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("initialize both");
        }
    }

    @Test
    void frozenSpartaParametersGetNoGradientWhileTheRestTrains() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Sparta sparta = new Sparta(3);
            Block network = new SequentialBlock()
                    .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1))
                            .setFilters(3).build())
                    .add(sparta);
            Shape input = new Shape(2, 1, 5, 5);
            network.initialize(manager, DataType.FLOAT32, input);
            assertThat(network.getParameters().keys())
                    .contains("02Sparta_weight", "02Sparta_bias");
            Parameter conv = network.getParameters().get("01Conv2d_weight");

            sparta.freezeParameters(true);
            backward(network, manager, input);
            assertThat(sparta.getParameters().values().stream()
                    .noneMatch(p -> p.getArray().hasGradient())).isTrue();
            assertThat(conv.getArray().getGradient().abs().sum().getFloat()).isPositive();

            sparta.freezeParameters(false);
            backward(network, manager, input);
            assertThat(weight(sparta).getArray().getGradient().abs().sum().getFloat()).isPositive();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 5})
    void inputGradientMatchesFiniteDifferencesInFloat64(int kernel) {
        Sparta sparta = new Sparta(4, kernel);
        try (BlockClassifier model = BlockSandwich.classifier(sparta, 4, DataType.FLOAT64, 5)) {
            // random taps and bias, so the neighbours' part of the gate is exercised too
            Random random = new Random(kernel);
            for (Parameter parameter : sparta.getParameters().values()) {
                BlockSandwich.setNormal(parameter, 0, 0.5, random);
            }
            assertThat(BlockSandwich.inputGradientError(model)).isLessThan(1e-3);
        }
    }

    @Test
    void float32GradientMatchesFloat64() {
        Sparta sparta = new Sparta(4);
        try (BlockClassifier single = BlockSandwich.classifier(sparta, 4, DataType.FLOAT32, 7);
                BlockClassifier twin = BlockSandwich.classifier(new Sparta(4), 4, DataType.FLOAT64, 7)) {
            Random random = new Random(7);
            for (Parameter parameter : sparta.getParameters().values()) {
                BlockSandwich.setNormal(parameter, 0, 0.5, random);
            }
            assertThat(BlockSandwich.float32GradientGap(single, twin)).isLessThan(1e-4);
        }
    }

    @Test
    void savedParametersLoadIntoAFreshModule() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Sparta trained = initialized(new Sparta(3), manager);
            Random random = new Random(9);
            for (Parameter parameter : trained.getParameters().values()) {
                BlockSandwich.setNormal(parameter, 0, 1, random);
            }
            Sparta loaded = initialized(new Sparta(3), manager);
            BlockSandwich.saveAndLoad(trained, loaded, manager);
            NDArray x = manager.randomNormal(SHAPE).toType(DataType.FLOAT64, false);
            assertThat(BlockSandwich.forward(loaded, manager, x, false).toDoubleArray())
                    .containsExactly(BlockSandwich.forward(trained, manager, x, false).toDoubleArray());
        }
    }

    @Test
    void badSettingsAndInputsAreRejectedClearly() {
        assertThatThrownBy(() -> new Sparta(3, 4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kernel size must be odd");
        assertThatThrownBy(() -> new Sparta(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("channels must be >= 1");
        try (NDManager manager = NDManager.newBaseManager()) {
            Sparta sparta = initialized(new Sparta(3), manager);
            NDArray x = manager.zeros(new Shape(2, 4, 5, 5), DataType.FLOAT64);
            assertThatThrownBy(() -> BlockSandwich.forward(sparta, manager, x, false))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("expects inputs of shape (N, 3, H, W), got (2, 4, 5, 5)");
        }
    }

    private static void backward(Block network, NDManager manager, Shape input) {
        try (NDManager step = manager.newSubManager();
                GradientCollector collector = Backward.collector()) {
            NDArray x = step.randomNormal(input);
            NDArray y = BlockSandwich.forward(network, step, x, true);
            Backward.run(collector, y.mul(y).sum());
        }
    }

    private static Sparta initialized(Sparta sparta, NDManager manager) {
        sparta.initialize(manager, DataType.FLOAT64, SHAPE);
        return sparta;
    }

    private static Parameter weight(Sparta sparta) {
        return sparta.getParameters().get("weight");
    }

    /** Depthwise filters that are zero but for the centre tap. */
    private static double[] centreOnly(int channels, int k, double centre) {
        double[] w = new double[channels * k * k];
        for (int c = 0; c < channels; c++) {
            w[c * k * k + (k / 2) * k + k / 2] = centre;
        }
        return w;
    }

    private static double sigmoid(double t) {
        return 1 / (1 + Math.exp(-t));
    }

    /** x σ(depthwise conv(x) + b), zeros outside the map, straight from the definition. */
    private static double[] bruteForce(double[] x, double[] w, double[] b, Shape shape, int k) {
        int n = (int) shape.get(0);
        int channels = (int) shape.get(1);
        int height = (int) shape.get(2);
        int width = (int) shape.get(3);
        int r = k / 2;
        double[] y = new double[x.length];
        for (int s = 0; s < n; s++) {
            for (int c = 0; c < channels; c++) {
                for (int i = 0; i < height; i++) {
                    for (int j = 0; j < width; j++) {
                        double phi = b[c];
                        for (int dy = 0; dy < k; dy++) {
                            for (int dx = 0; dx < k; dx++) {
                                int u = i + dy - r;
                                int v = j + dx - r;
                                if (u >= 0 && u < height && v >= 0 && v < width) {
                                    phi += w[(c * k + dy) * k + dx]
                                            * x[((s * channels + c) * height + u) * width + v];
                                }
                            }
                        }
                        int at = ((s * channels + c) * height + i) * width + j;
                        y[at] = x[at] * sigmoid(phi);
                    }
                }
            }
        }
        return y;
    }
}
