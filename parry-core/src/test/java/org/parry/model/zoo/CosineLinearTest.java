package org.parry.model.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.BlockClassifier;
import org.parry.model.GradientCheck;
import org.parry.model.ModelCard;
import org.parry.model.Normalization;
import org.parry.model.SavedModel;

/**
 * The cosine head: it computes s·cos(φ, w_k) without touching its weights, the zoo puts it in
 * place of the last linear layer, gradients through it are right in float64 and float32, and a
 * model card with it (or an old card without the field) rebuilds the right network.
 */
class CosineLinearTest {

    private static final Shape INPUT = new Shape(1, 28, 28);
    private static final int CLASSES = 10;
    private static final float SCALE = 8f;

    private static ArchitectureOptions cosine(int width) {
        return ArchitectureOptions.ofWidth(width).withHead(ClassifierHead.COSINE, SCALE);
    }

    /** A zoo model with a cosine head, its weights drawn with {@code seed}, in {@code dataType}. */
    private static BlockClassifier model(String architecture, int width, DataType dataType,
            int seed) {
        Engine.getInstance().setRandomSeed(seed);
        NDManager manager = NDManager.newBaseManager();
        Block block = ModelZoo.build(architecture, INPUT, CLASSES, cosine(width),
                Normalization.identity(1));
        block.initialize(manager, dataType, new Shape(1).addAll(INPUT));
        return new BlockClassifier(architecture, block, INPUT, CLASSES, manager);
    }

    @ParameterizedTest
    @ValueSource(strings = {"FLOAT64", "FLOAT32"})
    void theLogitsAreTheScaledCosinesAndTheWeightsStayAsTheyWere(DataType dataType) {
        int n = 4;
        int d = 6;
        int k = 3;
        Random random = new Random(3);
        double[] features = BlockSandwich.normal(n * d, random);
        double[] rows = BlockSandwich.normal(k * d, random);
        for (int j = 0; j < d; j++) {
            rows[j] *= 5; // rows of different norms: the cosine must not depend on them
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            CosineLinear head = new CosineLinear(k, SCALE);
            head.initialize(manager, dataType, new Shape(n, d));
            Parameter weight = head.getParameters().get("weight");
            assertThat(weight.getArray().getShape()).isEqualTo(new Shape(k, d));
            assertThat(head.getParameters().size()).as("no bias").isEqualTo(1);
            BlockSandwich.set(weight, rows);
            NDArray x = manager.create(features, new Shape(n, d)).toType(dataType, false);

            double[] logits = BlockSandwich.forward(head, manager, x, true)
                    .toType(DataType.FLOAT64, false).toDoubleArray();

            // float64 agrees to rounding; float32 carries ~1e-7 relative error on values up to s
            double tolerance = dataType == DataType.FLOAT64 ? 1e-12 : 1e-5;
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < k; c++) {
                    double dot = 0;
                    double xx = 0;
                    double ww = 0;
                    for (int j = 0; j < d; j++) {
                        double a = features[i * d + j];
                        double b = rows[c * d + j];
                        dot += a * b;
                        xx += a * a;
                        ww += b * b;
                    }
                    double expected = SCALE * dot / Math.sqrt(xx) / Math.sqrt(ww);
                    assertThat(logits[i * k + c]).as("sample %d class %d", i, c)
                            .isCloseTo(expected, Offset.offset(tolerance));
                }
            }
            assertThat(weight.getArray().toType(DataType.FLOAT64, false).toDoubleArray())
                    .as("normalized inside the forward pass, not in place")
                    .containsExactly(dataType == DataType.FLOAT64 ? rows
                            : manager.create(rows).toType(DataType.FLOAT32, false)
                                    .toType(DataType.FLOAT64, false).toDoubleArray());
        }
    }

    /**
     * The zoo replaces the last fully connected layer and keeps the rest: one weight matrix of
     * the same shape, no bias (K parameters fewer), logits of shape [N, K] inside [−s, s].
     */
    @ParameterizedTest
    @CsvSource({"small-cnn, 8", "cnn3, 4", "mlp, 16", "lenet5, 0", "madry-cnn, 4", "linear, 0"})
    void theZooSwapsTheLastLinearLayerForTheCosineHead(String architecture, int width) {
        try (NDManager manager = NDManager.newBaseManager();
                BlockClassifier model = model(architecture, width, DataType.FLOAT32, 1)) {
            Block linear = ModelZoo.build(architecture, INPUT, CLASSES,
                    ArchitectureOptions.ofWidth(width), Normalization.identity(1));
            linear.initialize(manager, DataType.FLOAT32, new Shape(1).addAll(INPUT));
            assertThat(parameterCount(model.block())).isEqualTo(parameterCount(linear) - CLASSES);
            assertThat(CosineLinear.scaleOf(model.block())).hasValue(SCALE);
            assertThat(CosineLinear.scaleOf(linear)).isEmpty();

            NDArray logits = model.logits(manager.randomUniform(0f, 1f,
                    new Shape(5).addAll(INPUT)));
            assertThat(logits.getShape()).isEqualTo(new Shape(5, CLASSES));
            assertThat(logits.abs().max().getFloat()).isLessThanOrEqualTo(SCALE * (1 + 1e-6f))
                    .isGreaterThan(0f);
        }
    }

    private static long parameterCount(Block block) {
        return block.getParameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
    }

    @ParameterizedTest
    @CsvSource({"small-cnn, 4", "cnn3, 4", "mlp, 16", "lenet5, 0", "madry-cnn, 4"})
    void theInputGradientThroughTheCosineHeadMatchesFiniteDifferences(String architecture,
            int width) {
        try (BlockClassifier model = model(architecture, width, DataType.FLOAT64, 7);
                NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomUniform(0f, 1f, new Shape(4).addAll(INPUT))
                    .toType(DataType.FLOAT64, false);
            NDArray y = manager.create(new int[] {0, 3, 5, 9});
            // as ZooGradientTest: in float64 with h = 1e-4 a right gradient agrees to ~1e-6,
            // a wrong one (a missing normalization's derivative, a sign) by O(1)
            double error = GradientCheck.maxRelativeError(model, x, y, CrossEntropyLoss.get(), 3,
                    1e-4f, 11);
            assertThat(error).as("relative error of %s's input gradient", architecture)
                    .isLessThan(1e-3);
        }
    }

    /** The float32 gradient attacks use agrees with the float64 one of the same weights. */
    @ParameterizedTest
    @CsvSource({"small-cnn, 4", "cnn3, 4", "mlp, 16", "lenet5, 0", "madry-cnn, 4"})
    void theFloat32GradientAgreesWithTheFloat64One(String architecture, int width) {
        try (BlockClassifier single = model(architecture, width, DataType.FLOAT32, 7);
                BlockClassifier twin = model(architecture, width, DataType.FLOAT64, 7);
                NDManager manager = NDManager.newBaseManager()) {
            var weights = single.block().getParameters().values();
            var twinWeights = twin.block().getParameters().values();
            for (int i = 0; i < weights.size(); i++) {
                twinWeights.get(i).getArray().set(new NDIndex("..."),
                        weights.get(i).getArray().toType(DataType.FLOAT64, false));
            }
            // the inputs from a fixed seed, not from whatever the tests before left in PyTorch's
            // generator: an input whose features are all zero (every ReLU of mlp's 16 off) makes
            // the cosine's normalization divide by its ε, where float32 and float64 part ways
            Engine.getInstance().setRandomSeed(11);
            NDArray x = manager.randomUniform(0f, 1f, new Shape(16).addAll(INPUT));
            NDArray y = manager.randomInteger(0, CLASSES, new Shape(16), DataType.INT32);
            NDArray reference = twin.lossGradient(x.toType(DataType.FLOAT64, false), y,
                    CrossEntropyLoss.get()).gradient();
            NDArray gradient = single.lossGradient(x, y, CrossEntropyLoss.get()).gradient()
                    .toType(DataType.FLOAT64, false);
            double error = gradient.sub(reference).norm().getDouble() / reference.norm().getDouble();
            assertThat(error).as("%s float32 vs float64", architecture).isLessThan(1e-4);
        }
    }

    @Test
    void aNetworkThatDoesNotEndInALinearLayerIsRefused() {
        Block convolutional = new SequentialBlock().add(Conv2d.builder()
                .setKernelShape(new Shape(3, 3)).setFilters(CLASSES).build());
        assertThatThrownBy(() -> ModelZoo.withCosineHead("conv-only", convolutional, CLASSES,
                SCALE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("architecture 'conv-only' does not end in a linear layer, so it cannot"
                        + " take a cosine head; use the linear head");
        assertThatThrownBy(() -> new CosineLinear(CLASSES, 0f))
                .hasMessage("the cosine scale must be > 0, got 0.0");
        assertThatThrownBy(() -> cosine(8).withHead(ClassifierHead.COSINE, Float.NaN))
                .hasMessage("the cosine scale must be > 0, got NaN");
    }

    /**
     * A cosine-head model survives save and load (same options, same logits), and a card written
     * before the head existed (no {@code head}, no {@code cosineScale}) reads as a linear head.
     */
    @Test
    void theCardRecordsTheHeadAndOldCardsReadAsLinear(@TempDir Path dir) throws IOException {
        ArchitectureOptions options = cosine(8).withHead(ClassifierHead.COSINE, 12f);
        ModelCard card = new ModelCard(ModelCard.FORMAT, "small-cnn", 8, "relu", 1,
                new int[] {1, 28, 28}, List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"),
                Normalization.identity(1), "synthetic", null, null, null, 0, "test", null)
                .withOptions(options);
        Path saved = dir.resolve("cosine");
        try (BlockClassifier model = SavedModel.create(card, 5);
                NDManager manager = NDManager.newBaseManager()) {
            SavedModel.save(saved, model, card);
            JsonNode json = SavedModel.json().readTree(saved.resolve(SavedModel.CARD_FILE).toFile());
            assertThat(json.get("head").asText()).isEqualTo("cosine");
            assertThat(json.get("cosineScale").asDouble()).isEqualTo(12.0);
            assertThat(SavedModel.readCard(saved).options()).isEqualTo(options);
            NDArray x = manager.randomUniform(0f, 1f, new Shape(3).addAll(INPUT));
            try (BlockClassifier loaded = SavedModel.load(saved)) {
                assertThat(CosineLinear.scaleOf(loaded.block())).hasValue(12.0);
                assertThat(loaded.logits(x).toFloatArray())
                        .containsExactly(model.logits(x).toFloatArray());
            }
        }
        ObjectNode old = (ObjectNode) SavedModel.json().valueToTree(
                card.withOptions(ArchitectureOptions.ofWidth(8)));
        old.remove(List.of("head", "cosineScale"));
        Path oldDir = Files.createDirectories(dir.resolve("old"));
        SavedModel.json().writeValue(oldDir.resolve(SavedModel.CARD_FILE).toFile(), old);
        ModelCard read = SavedModel.readCard(oldDir);
        assertThat(read.head()).isEqualTo("linear");
        assertThat(read.options()).isEqualTo(ArchitectureOptions.ofWidth(8));
    }
}
