package org.parry.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.attack.AttackResult;
import org.parry.attack.Pgd;
import org.parry.attack.Square;
import org.parry.criterion.Misclassification;
import org.parry.loss.CrossEntropyLoss;
import org.parry.norm.Norm;

/**
 * Checks {@link OnnxClassifier} against the fixtures of {@code onnx/make_onnx_fixture.py}: a tiny
 * CNN (Normalize, Conv, BatchNorm with trained statistics, Dropout, Linear; 1x8x8 inputs, 3
 * classes) exported both as ONNX and as TorchScript, with PyTorch's logits for a fixed batch; a
 * softmax-output variant; and broken variants, each of which must fail with a message naming the
 * file, the problem and the fix.
 */
class OnnxClassifierTest {

    private static final Shape INPUT_SHAPE = new Shape(1, 8, 8);

    private static JsonNode fixture;

    private NDManager manager;
    private OnnxClassifier model;

    @BeforeAll
    static void readFixture() throws IOException, URISyntaxException {
        fixture = new ObjectMapper().readTree(resource("tiny_cnn.json").toFile());
    }

    @BeforeEach
    void load() throws Exception {
        manager = NDManager.newBaseManager();
        model = OnnxClassifier.load(resource("tiny_cnn.onnx"), INPUT_SHAPE);
    }

    @AfterEach
    void close() {
        model.close();
        manager.close();
    }

    @Test
    void describesTheModel() throws Exception {
        assertThat(model.name()).isEqualTo("tiny_cnn.onnx");
        assertThat(model.inputShape()).isEqualTo(INPUT_SHAPE);
        assertThat(model.numClasses()).isEqualTo(3);
        assertThat(model.hasGradients()).isFalse();
        assertThat(model.outputsProbabilities()).isFalse();
        assertThat(model.describe()).contains("query-only").contains("outputs logits");
        assertThat(model.path()).isEqualTo(resource("tiny_cnn.onnx"));
        assertThat(model.queries()).as("the load-time probe is not a query").isZero();
    }

    /**
     * The ONNX export, its TorchScript twin and PyTorch's recorded logits agree. All float32;
     * ONNX Runtime, libtorch 2.7.1 and PyTorch 1.13 may sum in different orders, a few ulps of
     * logits of size ~5 (observed: below 1e-6); an export in train mode (Dropout) or with batch
     * statistics would be off by O(0.1).
     */
    @Test
    void logitsEqualTheTorchScriptTwinsAndPyTorchs() throws Exception {
        NDArray logits = model.logits(inputs());
        assertThat(logits.getShape()).isEqualTo(new Shape(6, 3));
        assertThat(logits.getDataType()).isEqualTo(DataType.FLOAT32);
        assertThat(logits.getManager()).isSameAs(manager);
        assertThat(logits.getManager().getEngine().getEngineName()).isEqualTo("PyTorch");
        float[] onnx = logits.toFloatArray();
        double pytorch = maxAbsDiff(onnx, floats(fixture.get("logits")));
        float[] twin;
        try (TorchScriptClassifier torchScript =
                TorchScriptClassifier.load(resource("tiny_cnn.pt"), INPUT_SHAPE)) {
            twin = torchScript.logits(inputs()).toFloatArray();
        }
        double torchScript = maxAbsDiff(onnx, twin);
        System.out.printf("ONNX fixture: max |logit - PyTorch| = %.3g, - TorchScript = %.3g%n",
                pytorch, torchScript);
        assertThat(pytorch).isLessThan(1e-5);
        assertThat(torchScript).isLessThan(1e-5);
        assertThat(maxAbs(onnx)).as("logits of a few units: the tolerance is relative 1e-6")
                .isGreaterThan(1);
    }

    @Test
    void float64InputsGiveTheSameLogits() {
        float[] single = model.logits(inputs()).toFloatArray();
        NDArray logits = model.logits(inputs().toType(DataType.FLOAT64, false));
        assertThat(logits.getDataType()).isEqualTo(DataType.FLOAT32);
        assertThat(maxAbsDiff(logits.toFloatArray(), single)).isLessThan(1e-6);
    }

    /**
     * A model ending in a softmax: detected, and its logits log(p) have the argmax of the plain
     * model and a softmax equal to the probabilities PyTorch computed.
     */
    @Test
    void softmaxOutputBecomesLogLogits() throws Exception {
        try (OnnxClassifier softmax =
                OnnxClassifier.load(resource("tiny_cnn_softmax.onnx"), INPUT_SHAPE)) {
            assertThat(softmax.outputsProbabilities()).isTrue();
            assertThat(softmax.describe()).contains("outputs probabilities")
                    .contains("log(max(p, 1.2e-38))");
            assertThat(softmax.toString()).contains("probabilities");
            NDArray logits = softmax.logits(inputs());
            assertThat(logits.argMax(1).toLongArray())
                    .isEqualTo(model.logits(inputs()).argMax(1).toLongArray());
            float[] p = logits.softmax(1).toFloatArray();
            double error = maxAbsDiff(p, floats(fixture.get("probabilities")));
            System.out.printf("ONNX softmax fixture: max |softmax(log p) - p| = %.3g%n", error);
            assertThat(error).isLessThan(1e-6);
            assertThat(logits.max().getFloat()).as("log p <= 0").isLessThanOrEqualTo(0f);
        }
    }

    @Test
    void countsEveryImageItIsQueriedWith() {
        model.logits(inputs());
        model.logits(inputs().get("0:2"));
        model.logits(inputs().get("5:6"));
        assertThat(model.queries()).isEqualTo(6 + 2 + 1);
        assertThatThrownBy(() -> model.logits(manager.zeros(new Shape(2, 3, 8, 8))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expects inputs of shape (N, 1, 8, 8)");
        assertThat(model.queries()).as("a batch rejected before the engine is no query")
                .isEqualTo(9);
    }

    /** A query attack works on the ONNX model; its query count is the model's own. */
    @Test
    void squareAttackLowersAccuracy() {
        NDArray x = uniform(manager, 24, 11);
        NDArray labels = model.logits(x).argMax(1);
        long before = model.queries();
        AttackResult result = new Square(Norm.LINF, 0.3f, 100, 0.8f, 1, 7)
                .run(model, x, new Misclassification(labels));
        System.out.printf("Square on the ONNX model: %d of 24 misclassified, %d queries%n",
                result.successes(), result.queries());
        assertThat(result.successes()).as("accuracy from 1.0 down to at most 0.5")
                .isGreaterThanOrEqualTo(12);
        assertThat(result.gradients()).isZero();
        assertThat(result.queries()).isEqualTo(model.queries() - before).isPositive();
        for (float distance : result.linf()) {
            assertThat(distance).isLessThanOrEqualTo(0.3f + 1e-6f);
        }
        AttackResult again = new Square(Norm.LINF, 0.3f, 100, 0.8f, 1, 7)
                .run(model, x, new Misclassification(labels));
        assertThat(again.adversarial()).as("same seed, same result").isEqualTo(result.adversarial());
        assertThat(again.queries()).isEqualTo(result.queries());
    }

    @Test
    void whiteBoxUseSaysWhatToDoInstead() {
        assertThatThrownBy(() -> model.lossGradient(inputs(), manager.zeros(new Shape(6),
                DataType.INT64), CrossEntropyLoss.get()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("model 'tiny_cnn.onnx' has no gradients")
                .hasMessageContaining("query attack (square, one-pixel)")
                .hasMessageContaining("parry attack --source MODEL")
                .hasMessageContaining("train a substitute");
        assertThatThrownBy(() -> Pgd.builder(Norm.LINF, 0.1f).build().run(model, inputs(),
                new Misclassification(manager.zeros(new Shape(6), DataType.INT64))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("pgd needs input gradients, but model 'tiny_cnn.onnx'")
                .hasMessageContaining("query attack (square, one-pixel)");
        assertThat(model.queries()).as("refused before any query").isZero();
    }

    @Test
    void modelsLoadDispatchesOnnxFiles(@TempDir Path dir) throws Exception {
        Path upper = Files.copy(resource("tiny_cnn.onnx"), dir.resolve("MODEL.ONNX"));
        try (Classifier loaded = Models.load(upper, INPUT_SHAPE)) {
            assertThat(loaded).isInstanceOf(OnnxClassifier.class);
            assertThat(loaded.hasGradients()).isFalse();
        }
        // Under another name it is not taken for TorchScript without a word.
        Path renamed = Files.copy(resource("tiny_cnn.onnx"), dir.resolve("model.pt"));
        assertThatThrownBy(() -> Models.load(renamed, INPUT_SHAPE))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("probably an ONNX model")
                .hasMessageContaining("name ending in .onnx");
    }

    // ---- errors: the file, the problem and the fix ------------------------------------------

    @Test
    void fixedBatchSize() {
        assertThatThrownBy(() -> OnnxClassifier.load(resource("tiny_cnn_batch1.onnx"),
                INPUT_SHAPE))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("tiny_cnn_batch1.onnx")
                .hasMessageContaining("has a fixed batch size of 1")
                .hasMessageContaining("declared [1, 1, 8, 8]")
                .hasMessageContaining("dynamic_axes={'input': {0: 'batch'}");
    }

    @Test
    void moreThanOneInput() {
        assertThatThrownBy(() -> OnnxClassifier.load(resource("two_inputs.onnx"), INPUT_SHAPE))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("two_inputs.onnx")
                .hasMessageContaining("has 2 inputs")
                .hasMessageContaining("input").hasMessageContaining("scale")
                .hasMessageContaining("export a model whose only input is the image batch");
    }

    @Test
    void declaredInputShapeOtherThanTheDatas() {
        assertThatThrownBy(() -> OnnxClassifier.load(resource("tiny_cnn.onnx"),
                new Shape(1, 28, 28)))
                .isInstanceOf(InputShapeException.class)
                .hasMessageContaining("tiny_cnn.onnx")
                .hasMessageContaining("takes images of shape (1, 8, 8)")
                .hasMessageContaining("declared [batch, 1, 8, 8]")
                .hasMessageContaining("was given inputs of shape (1, 28, 28)")
                .hasMessageContaining("inputs of the (C, H, W) it was trained on")
                .satisfies(e -> assertThat(((InputShapeException) e).inputShape())
                        .isEqualTo(new Shape(1, 28, 28)));
        assertThatThrownBy(() -> OnnxClassifier.load(resource("tiny_cnn.onnx"),
                new Shape(3, 8, 8)))
                .isInstanceOf(InputShapeException.class)
                .hasMessageContaining("takes images of shape (1, 8, 8)");
    }

    @Test
    void channelsLastInput() {
        assertThatThrownBy(() -> OnnxClassifier.load(resource("channels_last.onnx"), INPUT_SHAPE))
                .isInstanceOf(InputShapeException.class)
                .hasMessageContaining("channels_last.onnx")
                .hasMessageContaining("takes images of shape (8, 8, 1)")
                .hasMessageContaining("channels-last images (N, H, W, C)")
                .hasMessageContaining("--inputs-as-nchw");
    }

    @Test
    void integerInput() {
        assertThatThrownBy(() -> OnnxClassifier.load(resource("uint8_input.onnx"), INPUT_SHAPE))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("uint8_input.onnx")
                .hasMessageContaining("its input 'input' takes UINT8 values")
                .hasMessageContaining("Parry feeds float pixels in [0, 1]")
                .hasMessageContaining("export the model with a float32 input");
    }

    @Test
    void moreThanOneOutput() {
        assertThatThrownBy(() -> OnnxClassifier.load(resource("two_outputs.onnx"), INPUT_SHAPE))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("two_outputs.onnx")
                .hasMessageContaining("has 2 outputs")
                .hasMessageContaining("logits").hasMessageContaining("probabilities")
                .hasMessageContaining("export a model that returns only those");
    }

    @Test
    void outputThatIsNotLogits() {
        assertThatThrownBy(() -> OnnxClassifier.load(resource("not_logits.onnx"), INPUT_SHAPE))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("not_logits.onnx")
                .hasMessageContaining("returned an output of shape (2, 3, 1)")
                .hasMessageContaining("[N, K]");
    }

    @Test
    void nanOutputs() throws Exception {
        int nanRows = fixture.get("nanRows").asInt();
        try (OnnxClassifier nan = OnnxClassifier.load(resource("nan_logits.onnx"), INPUT_SHAPE)) {
            assertThatThrownBy(() -> nan.logits(inputs()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("nan_logits.onnx")
                    .hasMessageContaining("non-finite logits (NaN or infinity) for " + nanRows
                            + " of 6 inputs")
                    .hasMessageContaining("export it again");
        }
    }

    @Test
    void truncatedFile(@TempDir Path dir) throws Exception {
        byte[] bytes = Files.readAllBytes(resource("tiny_cnn.onnx"));
        Path truncated = Files.write(dir.resolve("truncated.onnx"),
                Arrays.copyOf(bytes, bytes.length / 2));
        assertThatThrownBy(() -> OnnxClassifier.load(truncated, INPUT_SHAPE))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(truncated.toString())
                .hasMessageContaining("truncated or corrupt")
                .hasMessageContaining("export the model again")
                .hasCauseInstanceOf(ai.onnxruntime.OrtException.class);
    }

    @Test
    void filesThatAreNotOnnx(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("notes.onnx");
        Files.writeString(text, "this is not a model\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> OnnxClassifier.load(text, INPUT_SHAPE))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(text.toString())
                .hasMessageContaining("not an ONNX file")
                .hasMessageContaining("starts with the bytes 74 68 69 73")
                .hasMessageContaining("torch.onnx.export");
        Path torchScript = Files.copy(resource("tiny_cnn.pt"), dir.resolve("twin.onnx"));
        assertThatThrownBy(() -> OnnxClassifier.load(torchScript, INPUT_SHAPE))
                .hasMessageContaining("not an ONNX file but a zip archive")
                .hasMessageContaining("name ending in .pt");
        Path empty = Files.write(dir.resolve("empty.onnx"), new byte[0]);
        assertThatThrownBy(() -> OnnxClassifier.load(empty, INPUT_SHAPE))
                .hasMessageContaining("the file is empty");
        Path missing = dir.resolve("missing.onnx");
        assertThatThrownBy(() -> OnnxClassifier.load(missing, INPUT_SHAPE))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("ONNX model file not found: " + missing);
        assertThatThrownBy(() -> OnnxClassifier.load(dir, INPUT_SHAPE))
                .hasMessageContaining("is a directory, not a model file")
                .hasMessageContaining("the ONNX .onnx file itself");
    }

    @Test
    void closedModelSaysSo() {
        model.close();
        model.close();
        assertThatThrownBy(() -> model.logits(inputs()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("tiny_cnn.onnx")
                .hasMessageContaining("closed");
    }

    private NDArray inputs() {
        return manager.create(floats(fixture.get("inputs")), new Shape(6, 1, 8, 8));
    }

    /** n seeded uniform images [n, 1, 8, 8]. */
    private static NDArray uniform(NDManager manager, int n, long seed) {
        float[] pixels = new float[n * 64];
        java.util.Random random = new java.util.Random(seed);
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = random.nextFloat();
        }
        return manager.create(pixels, new Shape(n, 1, 8, 8));
    }

    private static Path resource(String name) throws URISyntaxException {
        return Paths.get(OnnxClassifierTest.class.getResource("/onnx/" + name).toURI());
    }

    private static float[] floats(JsonNode array) {
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) array.get(i).asDouble();
        }
        return values;
    }

    private static double maxAbsDiff(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        double worst = 0;
        for (int i = 0; i < actual.length; i++) {
            worst = Math.max(worst, Math.abs((double) actual[i] - expected[i]));
        }
        return worst;
    }

    private static double maxAbs(float[] values) {
        double worst = 0;
        for (float value : values) {
            worst = Math.max(worst, Math.abs(value));
        }
        return worst;
    }
}
