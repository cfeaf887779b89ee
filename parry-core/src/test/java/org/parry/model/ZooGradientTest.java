package org.parry.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.parry.loss.CrossEntropyLoss;

/** Every zoo model's input gradient agrees with central finite differences. */
class ZooGradientTest {

    @ParameterizedTest
    @CsvSource({
        "linear, 1, 28, 0",
        "mlp, 1, 28, 0",
        "small-cnn, 1, 28, 0",
        "madry-cnn, 1, 28, 0",
        "lenet5, 1, 28, 0",
        "preact-resnet18, 3, 32, 8",
        "cnn3, 1, 28, 4",
        "odenet, 1, 28, 8",
        "tisode, 1, 28, 8",
        "res-cnn, 1, 28, 8"
    })
    void inputGradientMatchesFiniteDifferences(String architecture, int channels, int size,
            int width) {
        Shape inputShape = new Shape(channels, size, size);
        try (BlockClassifier model = ZooModels.initialized(
                        architecture, inputShape, 10, width, 7, DataType.FLOAT64);
                NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomUniform(0f, 1f, new Shape(4).addAll(inputShape))
                    .toType(DataType.FLOAT64, false);
            NDArray y = manager.create(new int[] {0, 3, 5, 9});
            LossGradient result = model.lossGradient(x, y, CrossEntropyLoss.get());
            assertThat(result.gradient().getShape()).isEqualTo(x.getShape());
            assertThat(result.logits().getShape()).isEqualTo(new Shape(4, 10));
            assertThat(result.gradient().abs().sum().getDouble()).isPositive();
            // In float64 with h = 1e-4 along unit directions, rounding error is ~1e-12 / 1e-4 and
            // a ReLU or max-pool switch inside [x - h d, x + h d] is rare: a correct gradient
            // agrees to ~1e-6, a wrong one (sign, scale, missing layer) by O(1).
            double error = GradientCheck.maxRelativeError(
                    model, x, y, CrossEntropyLoss.get(), 3, 1e-4f, 11);
            assertThat(error).as("relative error of %s's input gradient", architecture)
                    .isLessThan(1e-3);
        }
    }

    /**
     * The float32 input gradient, the one attacks use, agrees with the float64 one of the same
     * weights. Float64 runs on different kernels (no oneDNN), so this catches a native float32
     * kernel that is wrong on this machine: LeNet-5's first convolution (1 -> 6 channels) got
     * gradients 15% off from oneDNN's backward on an AVX-512 AMD CPU.
     */
    @ParameterizedTest
    @CsvSource({
        "mlp, 1, 28, 0",
        "small-cnn, 1, 28, 0",
        "madry-cnn, 1, 28, 0",
        "lenet5, 1, 28, 0",
        "preact-resnet18, 3, 32, 8",
        "cnn3, 1, 28, 4",
        "odenet, 1, 28, 8",
        "tisode, 1, 28, 8",
        "res-cnn, 1, 28, 8"
    })
    void float32GradientMatchesFloat64(String architecture, int channels, int size, int width) {
        Shape inputShape = new Shape(channels, size, size);
        try (BlockClassifier single = ZooModels.initialized(architecture, inputShape, 10, width, 7);
                BlockClassifier twin = ZooModels.initialized(
                        architecture, inputShape, 10, width, 7, DataType.FLOAT64);
                NDManager manager = NDManager.newBaseManager()) {
            var weights = single.block().getParameters().values();
            var twinWeights = twin.block().getParameters().values();
            assertThat(twinWeights).hasSameSizeAs(weights);
            for (int i = 0; i < weights.size(); i++) {
                twinWeights.get(i).getArray().set(new NDIndex("..."),
                        weights.get(i).getArray().toType(DataType.FLOAT64, false));
            }
            NDArray x = manager.randomUniform(0f, 1f, new Shape(16).addAll(inputShape));
            NDArray y = manager.randomInteger(0, 10, new Shape(16), DataType.INT32);
            NDArray reference = twin.lossGradient(x.toType(DataType.FLOAT64, false), y,
                    CrossEntropyLoss.get()).gradient();
            for (int call = 0; call < 2; call++) {
                NDArray gradient = single.lossGradient(x, y, CrossEntropyLoss.get()).gradient()
                        .toType(DataType.FLOAT64, false);
                double error = gradient.sub(reference).norm().getDouble()
                        / reference.norm().getDouble();
                assertThat(error).as("%s float32 vs float64 input gradient, call %d",
                        architecture, call).isLessThan(1e-4);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"small-cnn", "preact-resnet18"})
    void gradientCallsLeaveParametersAndLogitsUnchanged(String architecture) {
        Shape inputShape = architecture.equals("small-cnn") ? new Shape(1, 28, 28) : new Shape(3, 32, 32);
        try (BlockClassifier model = ZooModels.initialized(architecture, inputShape, 10, 8, 3);
                NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomUniform(0f, 1f, new Shape(2).addAll(inputShape));
            NDArray y = manager.create(new int[] {1, 2});
            float[] before = model.logits(x).toFloatArray();
            for (int i = 0; i < 3; i++) {
                model.lossGradient(x, y, CrossEntropyLoss.get());
            }
            assertThat(model.lossGradient(x, y, CrossEntropyLoss.get()).logits().toFloatArray())
                    .containsExactly(before);
            assertThat(model.logits(x).toFloatArray()).containsExactly(before);
            assertThat(model.block().getParameters().values().stream()
                    .noneMatch(p -> p.getArray().hasGradient()))
                    .as("parameters are frozen: no parameter gradient accumulates during attacks")
                    .isTrue();
        }
    }

    @ParameterizedTest
    @CsvSource({"2, 1, 28, 28", "4, 3, 28, 28", "4, 28, 28, 1"})
    void wrongInputShapeIsRejectedWithTheExpectedShape(int n, int c, int h, int w) {
        Shape inputShape = new Shape(1, 28, 28);
        try (BlockClassifier model = ZooModels.initialized("mlp", inputShape, 10, 16, 1);
                NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.zeros(new Shape(n, c, h, w), DataType.FLOAT32);
            if (c == 1 && w == 28) {
                assertThat(model.logits(x).getShape()).isEqualTo(new Shape(n, 10));
            } else {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> model.logits(x))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("expects inputs of shape (N, 1, 28, 28)");
            }
        }
    }
}
