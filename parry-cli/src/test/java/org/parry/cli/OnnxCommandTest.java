package org.parry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parry.cli.TorchScriptCommandTest.assertClearError;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.cli.CliTest.Run;
import org.parry.model.SavedModel;

/**
 * Every command a user points at an ONNX file ({@code --model FILE.onnx}), through {@link
 * ParryCommand} as typed. {@code onnx/plain_cnn.onnx} is the ONNX export of the TorchScript fixture
 * {@code torchscript/plain_cnn.pt} (by {@code parry-core/src/test/resources/onnx/make_onnx_fixture.py}),
 * so the 100 test images and PyTorch's predictions in {@code torchscript/expected.json} hold for it;
 * the tests never run Python.
 */
class OnnxCommandTest {

    private static Path data;
    private static Path onnx;
    private static JsonNode expected;

    @BeforeAll
    static void findFixtures() throws URISyntaxException, IOException {
        data = Paths.get(OnnxCommandTest.class.getResource("/torchscript/expected.json").toURI())
                .getParent();
        onnx = Paths.get(OnnxCommandTest.class.getResource("/onnx/plain_cnn.onnx").toURI());
        expected = SavedModel.json().readTree(data.resolve("expected.json").toFile())
                .get("plain_cnn");
    }

    @Test
    void evalMatchesPyTorchsPredictions(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("eval.json");
        Run run = CliTest.parry(withData("eval", "--model", onnx.toString(), "--batch-size", "32",
                "--json", json.toString()));
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode results = SavedModel.json().readTree(json.toFile());
        assertThat(results.get("n").asInt()).isEqualTo(100);
        assertThat(results.get("clean_accuracy").asDouble())
                .isEqualTo(expected.get("accuracy").asDouble());
        JsonNode confusion = results.get("confusion_matrix");
        byte[] labels = Files.readAllBytes(data.resolve("t10k-labels-idx1-ubyte"));
        long[][] pytorch = new long[10][10];
        for (int i = 0; i < 100; i++) {
            pytorch[labels[8 + i]][expected.get("predictions").get(i).asInt()]++;
        }
        for (int r = 0; r < 10; r++) {
            for (int c = 0; c < 10; c++) {
                assertThat(confusion.get(r).get(c).asLong()).as("confusion[%d][%d]", r, c)
                        .isEqualTo(pytorch[r][c]);
            }
        }
    }

    /** Square, a query attack, runs end to end and breaks the model without a gradient. */
    @Test
    void squareAttackWorks(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("square.json");
        Run run = CliTest.parry(withData("attack", "--model", onnx.toString(), "--attack",
                "square", "--eps", "0.2", "--steps", "100", "--batch-size", "50", "--json",
                json.toString()));
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("robust accuracy");
        JsonNode results = SavedModel.json().readTree(json.toFile());
        double clean = results.get("clean_accuracy").asDouble();
        double robust = results.get("robust_accuracy").asDouble();
        System.out.printf("square on plain_cnn.onnx: clean %.2f, robust %.2f, %d queries%n",
                clean, robust, results.get("queries").asLong());
        assertThat(clean).isEqualTo(expected.get("accuracy").asDouble());
        assertThat(robust).isLessThan(clean - 0.3);
        assertThat(results.get("gradients").asLong()).isZero();
        assertThat(results.get("queries").asLong()).isPositive();
        // Success against queries: non-decreasing in the budget, ending at the success rate.
        JsonNode curve = results.get("queries_per_sample").get("success_within");
        double previous = 0;
        for (JsonNode point : curve) {
            assertThat(point.get("success_rate").asDouble()).isGreaterThanOrEqualTo(previous);
            previous = point.get("success_rate").asDouble();
        }
        assertThat(previous).isEqualTo(results.get("success_rate").asDouble());
        assertThat(results.get("queries_per_sample").get("over_successes").get("max").asDouble())
                .isLessThanOrEqualTo(100 + 2);
        assertThat(run.out()).contains("queries per success");
    }

    /** With --out, a query attack also draws its success against queries. */
    @Test
    void squareWritesItsQueryChart(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        Files.createDirectories(out);
        Run run = CliTest.parry(withData("attack", "--model", onnx.toString(), "--attack",
                "square", "--eps", "0.2", "--steps", "50", "--n", "20", "--out", out.toString()));
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(out.resolve("queries.png")).isNotEmptyFile();
        assertThat(run.out()).contains("success against queries");
    }

    /**
     * The black-box workflow on a model only queried: a substitute trained from the ONNX model's
     * labels, FGSM transferred from it back to the ONNX model, and one-pixel run on it directly.
     */
    @Test
    void substituteTransferAndOnePixelOnAnOnnxModel(@TempDir Path dir) throws IOException {
        Path substitute = dir.resolve("substitute");
        Run trained = CliTest.parry(withData("substitute", "--model", onnx.toString(), "--out",
                substitute.toString(), "--rounds", "2", "--epochs", "3", "--seed-size", "30",
                "--held-out", "70", "--arch", "mlp", "--width", "32"));
        assertThat(trained.exitCode()).as(trained.err()).isZero();
        assertThat(trained.out()).contains("agreement");
        Path json = dir.resolve("transfer.json");
        Run transfer = CliTest.parry(withData("attack", "--model", onnx.toString(), "--attack",
                "fgsm", "--eps", "0.3", "--source", substitute.toString(), "--json",
                json.toString()));
        assertThat(transfer.exitCode()).as(transfer.err()).isZero();
        assertThat(transfer.out()).contains("transfer from " + substitute);
        JsonNode results = SavedModel.json().readTree(json.toFile());
        assertThat(results.get("robust_accuracy").asDouble())
                .isLessThan(results.get("clean_accuracy").asDouble());
        Run pixel = CliTest.parry(withData("attack", "--model", onnx.toString(), "--attack",
                "one-pixel", "--n", "10", "one-pixel.pixels=3", "one-pixel.population=20",
                "one-pixel.generations=3"));
        assertThat(pixel.exitCode()).as(pixel.err()).isZero();
        assertThat(pixel.out()).contains("0 gradients").contains("queries per success");
        // In a transfer matrix the ONNX model is a target only.
        Run matrix = CliTest.parry(withData("transfer", "--models", substitute + "," + onnx,
                "--attack", "fgsm", "--eps", "0.3", "--out", dir.resolve("matrix").toString()));
        assertThat(matrix.exitCode()).as(matrix.err()).isZero();
        assertThat(matrix.out()).contains("worst black-box on plain_cnn.onnx")
                .contains("a query-only model is a target only");
        JsonNode cells = SavedModel.json().readTree(dir.resolve("matrix").resolve("transfer.json")
                .toFile()).get("attacks").get(0).get("error_rate_source_by_target");
        assertThat(cells.get(1).get(0).isNull()).isTrue();
        assertThat(cells.get(0).get(1).asDouble()).isPositive();
    }

    /**
     * FGSM transferred from the TorchScript twin to the ONNX model is the white-box attack on the
     * TorchScript file: the two compute the same function.
     */
    @Test
    void transferFromTheTorchScriptTwinIsTheWhiteBoxAttack(@TempDir Path dir) throws IOException {
        Path twin = data.resolve("plain_cnn.pt");
        Path transferJson = dir.resolve("transfer.json");
        Run transfer = CliTest.parry(withData("attack", "--model", onnx.toString(), "--attack",
                "fgsm", "--eps", "0.1", "--source", twin.toString(), "--json",
                transferJson.toString()));
        assertThat(transfer.exitCode()).as(transfer.err()).isZero();
        Path whiteBoxJson = dir.resolve("white-box.json");
        Run whiteBox = CliTest.parry(withData("attack", "--model", twin.toString(), "--attack",
                "fgsm", "--eps", "0.1", "--json", whiteBoxJson.toString()));
        assertThat(whiteBox.exitCode()).as(whiteBox.err()).isZero();
        JsonNode moved = SavedModel.json().readTree(transferJson.toFile());
        JsonNode direct = SavedModel.json().readTree(whiteBoxJson.toFile());
        assertThat(moved.get("successes").asInt()).isEqualTo(direct.get("successes").asInt())
                .isPositive();
        assertClearError(CliTest.parry(withData("attack", "--model", onnx.toString(), "--attack",
                "fgsm", "--eps", "0.1", "--source", dir.resolve("missing.pt").toString())),
                "missing.pt");
    }

    @Test
    void whiteBoxAttackFailsWithTheFix() {
        for (String attack : List.of("pgd", "fgsm", "deepfool")) {
            List<String> args = new ArrayList<>(List.of("--model", onnx.toString(), "--attack",
                    attack));
            if (!attack.equals("deepfool")) {
                args.addAll(List.of("--eps", "0.1"));
            }
            assertClearError(CliTest.parry(withData("attack", args.toArray(String[]::new))),
                    attack + " needs input gradients", "'plain_cnn.onnx' has no gradients",
                    "use a query attack (square, one-pixel)",
                    "a transfer attack from a substitute or source model (parry attack --source"
                            + " MODEL)", "train a substitute");
        }
    }

    @Test
    void evaluateWithAQueryAttackWritesAReport(@TempDir Path dir) throws IOException {
        Path report = dir.resolve("report");
        Run run = CliTest.parry(withData("evaluate", "--model", onnx.toString(), "--n", "40",
                "--batch-size", "40", "--suite", "square", "--eps", "0.2", "--report",
                report.toString()));
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(report.resolve("index.html")).exists();
        JsonNode json = SavedModel.json().readTree(report.resolve("report.json").toFile());
        assertThat(json.toString()).contains("\"clean_accuracy\":1.0").contains("square");
        // A suite with white-box attacks says what to run instead.
        assertClearError(CliTest.parry(withData("evaluate", "--model", onnx.toString(), "--n",
                "40", "--suite", "fgsm", "--eps", "0.1", "--report",
                dir.resolve("white-box").toString())), "fgsm needs input gradients",
                "plain_cnn.onnx", "use a query attack (square, one-pixel)");
    }

    @Test
    void infoDescribesAnOnnxFile() {
        Run info = CliTest.parry("info", "--model", onnx.toString());
        assertThat(info.exitCode()).as(info.err()).isZero();
        assertThat(info.out()).contains("ONNX, query-only (no gradients): outputs logits")
                .contains("classes:").contains("10").contains("[1, 28, 28]");
        assertClearError(CliTest.parry("info", "--model", onnx.toString(), "--input-shape",
                "3,32,32"), "plain_cnn.onnx", "takes images of shape (1, 28, 28)",
                "--input-shape C,H,W");
    }

    @Test
    void filesThatAreNotOnnx(@TempDir Path dir) throws IOException {
        byte[] bytes = Files.readAllBytes(onnx);
        Path truncated = Files.write(dir.resolve("truncated.onnx"),
                Arrays.copyOf(bytes, bytes.length / 2));
        Path torchScript = Files.copy(data.resolve("plain_cnn.pt"), dir.resolve("plain.onnx"));
        for (String command : List.of("eval", "attack", "info")) {
            assertClearError(run(command, truncated), "truncated.onnx", "truncated or corrupt",
                    "export the model again");
            assertClearError(run(command, torchScript), "plain.onnx",
                    "not an ONNX file but a zip archive", "name ending in .pt");
        }
    }

    /** {@code command --dataset mnist --data-dir <fixtures> args...}: the 100 raw-IDX images. */
    private static String[] withData(String command, String... args) {
        List<String> all = new ArrayList<>(List.of(command, "--dataset", "mnist", "--data-dir",
                data.toString()));
        all.addAll(Arrays.asList(args));
        return all.toArray(String[]::new);
    }

    private static Run run(String command, Path model) {
        return switch (command) {
            case "info" -> CliTest.parry("info", "--model", model.toString());
            case "eval" -> CliTest.parry(withData("eval", "--model", model.toString()));
            case "attack" -> CliTest.parry(withData("attack", "--model", model.toString(),
                    "--attack", "square", "--eps", "0.1", "--steps", "5"));
            default -> throw new IllegalArgumentException(command);
        };
    }
}
