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
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.loss.CrossEntropyLoss;

/**
 * Checks {@link TorchScriptClassifier} against numbers PyTorch itself computed for the fixture
 * {@code torchscript/tiny_cnn.pt} (see {@code make_fixture.py}): a scripted CNN with a
 * normalization layer, BatchNorm with non-trivial running statistics and Dropout(0.5), so that any
 * slip into train mode shows in the logits.
 */
class TorchScriptClassifierTest {

    private static final Shape INPUT_SHAPE = new Shape(1, 8, 8);

    private static Path modelFile;
    private static Fixture fixture;

    private NDManager manager;
    private TorchScriptClassifier model;

    /** The recorded PyTorch numbers. */
    private record Fixture(float[] inputs, long[] labels, float[] logits, double lossSum,
            float[] gradient) {}

    @BeforeAll
    static void readFixture() throws IOException, URISyntaxException {
        modelFile = resource("tiny_cnn.pt");
        JsonNode json = new ObjectMapper().readTree(resource("tiny_cnn.json").toFile());
        fixture = new Fixture(floats(json.get("inputs")), longs(json.get("labels")),
                floats(json.get("logits")), json.get("lossSum").asDouble(),
                floats(json.get("gradient")));
    }

    @BeforeEach
    void load() throws IOException {
        manager = NDManager.newBaseManager();
        model = TorchScriptClassifier.load(modelFile, INPUT_SHAPE);
    }

    @AfterEach
    void close() {
        model.close();
        manager.close();
    }

    @Test
    void describesTheModel() {
        assertThat(model.name()).isEqualTo("tiny_cnn.pt");
        assertThat(model.inputShape()).isEqualTo(INPUT_SHAPE);
        assertThat(model.numClasses()).isEqualTo(3);
        assertThat(model.hasGradients()).isTrue();
        assertThat(model.path()).isEqualTo(modelFile.toAbsolutePath().normalize());
    }

    @Test
    void logitsMatchPyTorch() {
        NDArray logits = model.logits(inputs());
        assertThat(logits.getShape()).isEqualTo(new Shape(4, 3));
        assertThat(logits.getManager()).isSameAs(manager);
        // float32 on both sides, but libtorch 1.13 (fixture) vs 2.7.1 (DJL) may pick different conv
        // kernels and summation orders: differences of a few ulps (~1e-7 on logits of size ~0.4).
        // 1e-4 leaves room for that while any train-mode slip (Dropout: O(0.1); BatchNorm batch
        // statistics or drifted running statistics: ~0.03 here) fails by orders of magnitude.
        double error = maxAbsDiff(logits.toFloatArray(), fixture.logits());
        System.out.printf("TorchScript fixture: max |logit - PyTorch| = %.3g%n", error);
        assertThat(error).isLessThan(1e-4);
    }

    @Test
    void inputGradientMatchesPyTorch() {
        LossGradient result = model.lossGradient(inputs(), labels(), CrossEntropyLoss.get());
        assertThat(result.gradient().getShape()).isEqualTo(new Shape(4, 1, 8, 8));
        assertThat(result.gradient().getManager()).isSameAs(manager);
        assertThat(result.loss().sum().getFloat()).isCloseTo((float) fixture.lossSum(),
                org.assertj.core.data.Offset.offset(1e-4f));
        // Relative to the largest gradient entry: entries near zero make per-entry relative
        // errors meaningless.
        double error = maxAbsDiff(result.gradient().toFloatArray(), fixture.gradient())
                / maxAbs(fixture.gradient());
        System.out.printf("TorchScript fixture: max |grad - PyTorch| / max |grad| = %.3g%n", error);
        assertThat(error).isLessThan(1e-4);
        assertThat(maxAbs(fixture.gradient())).as("the fixture's gradient is not trivial")
                .isGreaterThan(1e-2);
    }

    @Test
    void inputGradientMatchesFiniteDifferences() {
        double error = GradientCheck.maxRelativeError(
                model, inputs(), labels(), CrossEntropyLoss.get(), 16, 1e-2f, 7L);
        System.out.printf("TorchScript fixture: finite-difference relative error = %.3g%n", error);
        assertThat(error).isLessThan(1e-2);
    }

    @Test
    void float64InputsAreCastInsideTheGraph() {
        NDArray x = inputs();
        NDArray expected = model.lossGradient(x, labels(), CrossEntropyLoss.get()).gradient();
        NDArray x64 = x.toType(DataType.FLOAT64, false);
        LossGradient result = model.lossGradient(x64, labels(), CrossEntropyLoss.get());
        assertThat(result.gradient().getDataType()).isEqualTo(DataType.FLOAT64);
        double error = maxAbsDiff(result.gradient().toType(DataType.FLOAT32, false)
                .toFloatArray(), expected.toFloatArray());
        assertThat(error).isLessThan(1e-6);
        assertThat(maxAbsDiff(model.logits(x64).toType(DataType.FLOAT32, false).toFloatArray(),
                fixture.logits())).isLessThan(1e-4);
    }

    /**
     * DJL.md item 3: PtSymbolBlock switches the module to train mode when a forward with
     * training=true follows one with training=false. Interleaving logits and gradient calls must
     * never run Dropout or BatchNorm in train mode (one such pass would also move BatchNorm's
     * running statistics for good). Verified to fail when forward() passes training=forGradient.
     */
    @Test
    void staysInEvalModeAcrossLogitsAndGradientCalls() {
        NDArray x = inputs();
        float[] first = model.logits(x).toFloatArray();
        float[] second = model.lossGradient(x, labels(), CrossEntropyLoss.get()).logits()
                .toFloatArray();
        float[] third = model.lossGradient(x, labels(), CrossEntropyLoss.get()).logits()
                .toFloatArray();
        float[] fourth = model.logits(x).toFloatArray();
        float[] fifth = model.lossGradient(x, labels(), CrossEntropyLoss.get()).logits()
                .toFloatArray();
        assertThat(second).containsExactly(first);
        assertThat(third).containsExactly(first);
        assertThat(fourth).containsExactly(first);
        assertThat(fifth).containsExactly(first);
        assertThat(maxAbsDiff(first, fixture.logits())).isLessThan(1e-4);
    }

    /** No parameter gradients, no accumulation, no state change: gradient calls are pure. */
    @Test
    void gradientCallsLeaveTheModelUnchanged() {
        NDArray x = inputs();
        float[] before = model.logits(x).toFloatArray();
        float[] firstGradient = null;
        for (int i = 0; i < 3; i++) {
            float[] gradient = model.lossGradient(x, labels(), CrossEntropyLoss.get()).gradient()
                    .toFloatArray();
            if (firstGradient == null) {
                firstGradient = gradient;
            } else {
                // A fresh leaf each call: no 1 : 2 : 3 accumulation (DJL.md item 4).
                assertThat(gradient).containsExactly(firstGradient);
            }
        }
        assertThat(model.logits(x).toFloatArray()).containsExactly(before);
        assertThat(x.hasGradient()).as("the caller's input is not made a leaf").isFalse();
    }

    @Test
    void logitsCarryNoGraphAndCanBeUpdatedInPlace() {
        NDArray logits = model.logits(inputs());
        assertThat(logits.hasGradient()).isFalse();
        // Outputs of DJL's inference-mode path cannot be updated in place; ours are ordinary.
        logits.addi(1f);
        assertThat(maxAbsDiff(logits.toFloatArray(), plus(fixture.logits(), 1f)))
                .isLessThan(1e-4);
    }

    @Test
    void closedModelSaysSo() {
        model.close();
        model.close();
        assertThatThrownBy(() -> model.logits(inputs()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("tiny_cnn.pt")
                .hasMessageContaining("closed");
    }

    @Test
    void missingFile(@TempDir Path dir) {
        Path missing = dir.resolve("nope.pt");
        assertThatThrownBy(() -> TorchScriptClassifier.load(missing, INPUT_SHAPE))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("not found")
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("torch.jit.script");
    }

    @Test
    void directoryInsteadOfFile(@TempDir Path dir) {
        assertThatThrownBy(() -> TorchScriptClassifier.load(dir, INPUT_SHAPE))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("is a directory");
    }

    @Test
    void textFileRenamedPt(@TempDir Path dir) throws IOException {
        Path garbage = dir.resolve("garbage.pt");
        Files.writeString(garbage, "this is not a model\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> TorchScriptClassifier.load(garbage, INPUT_SHAPE))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(garbage.toString())
                .hasMessageContaining("not a TorchScript file")
                .hasMessageContaining("starts with the bytes 74 68 69 73")
                .hasMessageContaining("torch.jit.script")
                .hasCauseInstanceOf(ai.djl.engine.EngineException.class)
                .satisfies(e -> assertThat(((ModelLoadException) e).path()).isEqualTo(garbage));
    }

    /** A zip archive without TorchScript code, as torch.save(state_dict) writes. */
    @Test
    void zipThatIsNotTorchScript(@TempDir Path dir) throws IOException {
        Path stateDict = dir.resolve("weights.pt");
        try (OutputStream out = Files.newOutputStream(stateDict);
                ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("weights/data.pkl"));
            zip.write(new byte[] {(byte) 0x80, 2, 'N', '.'});
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("weights/version"));
            zip.write("3\n".getBytes(StandardCharsets.US_ASCII));
            zip.closeEntry();
        }
        assertThatThrownBy(() -> TorchScriptClassifier.load(stateDict, INPUT_SHAPE))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(stateDict.toString())
                .hasMessageContaining("not TorchScript but a file written by torch.save")
                .hasMessageContaining("torch.jit.trace");
    }

    @Test
    void wrongNumberOfChannels() {
        assertThatThrownBy(() -> TorchScriptClassifier.load(modelFile, new Shape(3, 8, 8)))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("tiny_cnn.pt")
                .hasMessageContaining("failed on inputs of shape (3, 8, 8)")
                .hasMessageContaining("expected input[2, 3, 8, 8] to have 1 channels")
                .hasMessageContaining("expects another input shape")
                .isInstanceOf(InputShapeException.class)
                .hasCauseInstanceOf(ai.djl.engine.EngineException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("Traceback"));
    }

    @Test
    void wrongImageSize() {
        assertThatThrownBy(() -> TorchScriptClassifier.load(modelFile, new Shape(1, 16, 16)))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("failed on inputs of shape (1, 16, 16)")
                .hasMessageContaining("mat1 and mat2 shapes cannot be multiplied")
                .hasMessageContaining("inputs of the (C, H, W) it was trained on");
    }

    @Test
    void notAnImageShape() {
        assertThatThrownBy(() -> TorchScriptClassifier.load(modelFile, new Shape(64)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("(C, H, W)");
    }

    @Test
    void outputThatIsNotLogits() throws Exception {
        Path notLogits = resource("not_logits.pt");
        assertThatThrownBy(() -> TorchScriptClassifier.load(notLogits, INPUT_SHAPE))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("not_logits.pt")
                .hasMessageContaining("returned an output of shape (2)")
                .hasMessageContaining("[N, K]");
    }

    @Test
    void batchOfTheWrongShapeIsRejectedBeforeTheModelRuns() {
        assertThatThrownBy(() -> model.logits(manager.zeros(new Shape(2, 3, 8, 8))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expects inputs of shape (N, 1, 8, 8)");
    }

    private NDArray inputs() {
        return manager.create(fixture.inputs(), new Shape(4, 1, 8, 8));
    }

    private NDArray labels() {
        return manager.create(fixture.labels());
    }

    private static Path resource(String name) throws URISyntaxException {
        return Paths.get(TorchScriptClassifierTest.class.getResource("/torchscript/" + name)
                .toURI());
    }

    private static float[] floats(JsonNode array) {
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) array.get(i).asDouble();
        }
        return values;
    }

    private static long[] longs(JsonNode array) {
        long[] values = new long[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).asLong();
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

    private static float[] plus(float[] values, float delta) {
        float[] result = values.clone();
        for (int i = 0; i < result.length; i++) {
            result[i] += delta;
        }
        return result;
    }
}
