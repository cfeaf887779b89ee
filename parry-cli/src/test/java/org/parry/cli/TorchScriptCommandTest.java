package org.parry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.cli.CliTest.Run;
import org.parry.model.SavedModel;

/**
 * Every command a user points at a TorchScript file ({@code --model FILE.pt}), through {@link
 * ParryCommand} as typed. The models and the 100 test images (raw IDX, read as {@code --dataset
 * mnist --data-dir ...}) are in {@code src/test/resources/torchscript}, written by {@code
 * parry-core/src/test/resources/torchscript/make_cli_fixtures.py}, whose {@code expected.json}
 * holds PyTorch's own predictions; the tests never run Python.
 */
class TorchScriptCommandTest {

    private static final String[] GOOD = {"plain_cnn", "bn_dropout_cnn", "traced_cnn"};

    @TempDir
    static Path reports;

    private static Path fixtures;
    private static JsonNode expected;

    @BeforeAll
    static void findFixtures() throws URISyntaxException, IOException {
        fixtures = Paths.get(TorchScriptCommandTest.class.getResource("/torchscript/expected.json")
                .toURI()).getParent();
        expected = SavedModel.json().readTree(fixtures.resolve("expected.json").toFile());
    }

    // ---- the good models give the right answers -------------------------------------------

    @Test
    void evalMatchesPyTorchsPredictions(@TempDir Path dir) throws IOException {
        for (String name : GOOD) {
            Path json = dir.resolve(name + ".json");
            Run run = CliTest.parry(withData("eval", "--model", model(name), "--batch-size", "32",
                    "--json", json.toString()));
            assertThat(run.exitCode()).as(name + ": " + run.err()).isZero();
            JsonNode results = SavedModel.json().readTree(json.toFile());
            assertThat(results.get("n").asInt()).isEqualTo(100);
            assertThat(results.get("clean_accuracy").asDouble()).as(name)
                    .isEqualTo(expected.get(name).get("accuracy").asDouble());
            assertThat(confusion(results)).as(name).isEqualTo(pytorchConfusion(name));
        }
    }

    /** A folder of gzipped IDX files gives the same result as the raw ones. */
    @Test
    void evalReadsGzippedIdxToo(@TempDir Path dir) throws IOException {
        Path gz = Files.createDirectories(dir.resolve("gz"));
        for (String file : List.of("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")) {
            try (OutputStream out = new GZIPOutputStream(
                    Files.newOutputStream(gz.resolve(file + ".gz")))) {
                out.write(Files.readAllBytes(fixtures.resolve(file)));
            }
        }
        Path json = dir.resolve("eval.json");
        Run run = CliTest.parry("eval", "--model", model("plain_cnn"), "--dataset", "mnist",
                "--data-dir", gz.toString(), "--json", json.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode results = SavedModel.json().readTree(json.toFile());
        assertThat(confusion(results)).isEqualTo(pytorchConfusion("plain_cnn"));

        Run empty = CliTest.parry("eval", "--model", model("plain_cnn"), "--dataset", "mnist",
                "--data-dir", Files.createDirectories(dir.resolve("empty")).toString());
        assertClearError(empty, "--data-dir lacks mnist files", "t10k-images-idx3-ubyte.gz",
                "gzipped or not");
    }

    /**
     * FGSM through Parry gives exactly PyTorch's result (its input gradients are right and the
     * model is in eval mode; the fixture's FGSM accuracy is the same in float32 and float64, so
     * rounding cannot change it), and PGD drops accuracy further.
     */
    @Test
    void attackDropsAccuracy(@TempDir Path dir) throws IOException {
        for (String name : GOOD) {
            JsonNode fgsm = attack(dir, name, "fgsm");
            assertThat(fgsm.get("adversarial_accuracy").asDouble()).as(name)
                    .isEqualTo(expected.get(name).get("fgsm_accuracy").asDouble());
            JsonNode results = attack(dir, name, "pgd");
            assertThat(results.get("clean_accuracy").asDouble()).as(name)
                    .isEqualTo(expected.get(name).get("accuracy").asDouble());
            assertThat(results.get("robust_accuracy").asDouble()).as(name)
                    .isLessThan(results.get("clean_accuracy").asDouble() - 0.3);
            assertThat(results.get("gradients").asLong()).as(name).isPositive();
        }
    }

    /**
     * The BatchNorm + Dropout(0.5) model stays in eval mode: two runs of a gradient attack agree to
     * the last bit (a module switched to train mode would drop different units each pass and move
     * its BatchNorm statistics), and two clean evaluations agree with PyTorch's eval mode.
     */
    @Test
    void batchNormAndDropoutStayInEvalMode(@TempDir Path dir) throws IOException {
        JsonNode first = attack(dir.resolve("1"), "bn_dropout_cnn", "deepfool");
        JsonNode second = attack(dir.resolve("2"), "bn_dropout_cnn", "deepfool");
        assertThat(first.get("perturbation").get("l2").get("mean").asDouble()).isPositive();
        for (String key : List.of("robust_accuracy", "adversarial_confidence", "perturbation")) {
            assertThat(second.get(key)).as(key).isEqualTo(first.get(key));
        }
    }

    @Test
    void evaluateWritesAReport(@TempDir Path dir) throws IOException {
        for (String name : List.of("plain_cnn", "traced_cnn")) {
            Path report = dir.resolve(name);
            Run run = CliTest.parry(withData("evaluate", "--model", model(name), "--n", "40",
                    "--batch-size", "40", "--suite", "fgsm,pgd", "--eps", "0.2", "--report",
                    report.toString()));
            assertThat(run.exitCode()).as(name + ": " + run.err()).isZero();
            assertThat(report.resolve("index.html")).exists();
            JsonNode json = SavedModel.json().readTree(report.resolve("report.json").toFile());
            assertThat(json.toString()).as(name).contains("\"clean_accuracy\":1.0");
        }
    }

    @Test
    void infoDescribesATorchScriptFile() {
        Run info = CliTest.parry("info", "--model", model("bn_dropout_cnn"));
        assertThat(info.exitCode()).as(info.err()).isZero();
        assertThat(info.out()).contains("TorchScript").contains("classes:").contains("10")
                .contains("[1, 28, 28]");
    }

    // ---- the bad ones: one clear line naming the file, the problem and the fix --------------

    @Test
    void probabilitiesInsteadOfLogits() {
        for (String command : List.of("eval", "attack", "evaluate", "info")) {
            assertClearError(run(command, "softmax_output"), "softmax_output.pt",
                    "returns probabilities", "remove the final softmax");
        }
    }

    @Test
    void wrongOutputShape() {
        for (String command : List.of("eval", "attack", "evaluate", "info")) {
            assertClearError(run(command, "wrong_shape"), "wrong_shape.pt",
                    "returned an output of shape (2, 10, 1)", "returns only the logits");
        }
    }

    @Test
    void filesThatAreNotTorchScript() {
        for (String command : List.of("eval", "attack", "evaluate", "info")) {
            assertClearError(run(command, "truncated"), "truncated.pt", "truncated or corrupt",
                    "export the model again");
            assertClearError(run(command, "random_bytes"), "random_bytes.pt",
                    "not a TorchScript file", "starts with the bytes", "torch.jit.script");
            assertClearError(run(command, "state_dict"), "state_dict.pt",
                    "written by torch.save", "torch.jit.script");
        }
    }

    @Test
    void noGradientPath() throws IOException {
        // Clean accuracy needs no gradient: eval works...
        Run eval = run("eval", "no_grad");
        assertThat(eval.exitCode()).as(eval.err()).isZero();
        assertThat(eval.out()).contains("clean accuracy: 1.0000");
        // ...white-box attacks cannot, and say what to do instead.
        for (String command : List.of("attack", "evaluate")) {
            assertClearError(run(command, "no_grad"), "no_grad.pt", "gives no input gradient",
                    "does not depend on its input through a differentiable path",
                    "black-box attack such as square", "without no_grad()");
        }
    }

    @Test
    void nonFiniteLogits() {
        int nanRows = expected.get("nan_logits").get("nan_rows").asInt();
        for (String command : List.of("eval", "attack", "evaluate")) {
            assertClearError(run(command, "nan_logits"), "nan_logits.pt",
                    "non-finite logits (NaN or infinity) for " + nanRows + " of 100 inputs",
                    "export it again");
        }
    }

    @Test
    void fewerClassesThanTheData() {
        for (String command : List.of("eval", "attack", "evaluate")) {
            assertClearError(run(command, "five_classes"), "five_classes.pt",
                    "'mnist' has 10 classes (labels up to 9)", "has 5 classes (0 to 4)",
                    "use the data set the model was trained for");
        }
    }

    @Test
    void inputShapeAdviceFitsTheCommand() {
        for (String command : List.of("eval", "attack", "evaluate")) {
            Run run = run(command, "rgb_cnn");
            assertClearError(run, "rgb_cnn.pt", "failed on inputs of shape (1, 28, 28)",
                    "expects another input shape", "3,32,32 for CIFAR-10");
            assertThat(run.err()).doesNotContain("--input-shape");
        }
        assertClearError(run("info", "rgb_cnn"), "rgb_cnn.pt", "(1, 28, 28)",
                "--input-shape C,H,W");
        Run rgb = CliTest.parry("info", "--model", model("rgb_cnn"), "--input-shape", "3,28,28");
        assertThat(rgb.exitCode()).as(rgb.err()).isZero();
        assertThat(rgb.out()).contains("[3, 28, 28]");
    }

    @Test
    void unparsableModelCard(@TempDir Path dir) throws IOException {
        Path card = Files.createDirectories(dir.resolve("model")).resolve("model.json");
        Files.writeString(card, "{\"architecture\": \"small-cnn\",\n  \"inputShape\": [1, 28");
        for (String command : List.of("eval", "info")) {
            Run run = command.equals("info")
                    ? CliTest.parry("info", "--model", card.getParent().toString())
                    : CliTest.parry(withData(command, "--model", card.getParent().toString()));
            assertClearError(run, card.toString(), "not a valid Parry model card",
                    "line 2", "train the model again");
            assertThat(run.err()).doesNotContain("Source:").doesNotContain("reference chain");
        }
        Files.copy(fixtures.resolve("plain_cnn.pt"), card, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertClearError(CliTest.parry("info", "--model", card.getParent().toString()),
                card.toString(), "not a valid Parry model card", "Unrecognized token");
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static String model(String name) {
        return fixtures.resolve(name + ".pt").toString();
    }

    /** {@code command --dataset mnist --data-dir <fixtures> args...}: the 100 raw-IDX images. */
    private static String[] withData(String command, String... args) {
        List<String> all = new ArrayList<>(List.of(command, "--dataset", "mnist", "--data-dir",
                fixtures.toString()));
        all.addAll(Arrays.asList(args));
        return all.toArray(String[]::new);
    }

    /** {@code command} on a fixture model with the cheapest settings that reach the model. */
    private static Run run(String command, String name) {
        return switch (command) {
            case "info" -> CliTest.parry("info", "--model", model(name));
            case "eval" -> CliTest.parry(withData("eval", "--model", model(name)));
            case "attack" -> CliTest.parry(withData("attack", "--model", model(name), "--attack",
                    "fgsm", "--eps", "0.1"));
            case "evaluate" -> CliTest.parry(withData("evaluate", "--model", model(name),
                    "--suite", "fgsm", "--eps", "0.1", "--report",
                    reports.resolve(name + "-" + command).toString()));
            default -> throw new IllegalArgumentException(command);
        };
    }

    private static JsonNode attack(Path dir, String name, String attack) throws IOException {
        Files.createDirectories(dir);
        Path json = dir.resolve(name + "-" + attack + ".json");
        List<String> args = new ArrayList<>(List.of("--model", model(name), "--attack", attack,
                "--batch-size", "50", "--json", json.toString()));
        if (!attack.equals("deepfool")) {
            args.addAll(List.of("--eps", "0.2"));
        }
        if (attack.equals("pgd")) {
            args.addAll(List.of("--steps", "10"));
        }
        Run run = CliTest.parry(withData("attack", args.toArray(String[]::new)));
        assertThat(run.exitCode()).as(name + ": " + run.err()).isZero();
        return SavedModel.json().readTree(json.toFile());
    }

    private static long[][] confusion(JsonNode results) {
        JsonNode rows = results.get("confusion_matrix");
        long[][] counts = new long[rows.size()][];
        for (int r = 0; r < counts.length; r++) {
            counts[r] = new long[rows.get(r).size()];
            for (int c = 0; c < counts[r].length; c++) {
                counts[r][c] = rows.get(r).get(c).asLong();
            }
        }
        return counts;
    }

    /** The confusion matrix of PyTorch's predictions against the IDX labels. */
    private static long[][] pytorchConfusion(String name) throws IOException {
        byte[] labels = Files.readAllBytes(fixtures.resolve("t10k-labels-idx1-ubyte"));
        JsonNode predictions = expected.get(name).get("predictions");
        long[][] counts = new long[10][10];
        for (int i = 0; i < predictions.size(); i++) {
            counts[labels[8 + i]][predictions.get(i).asInt()]++;
        }
        return counts;
    }

    /**
     * Exit code 1, exactly one error line (progress lines may precede it) holding every fragment,
     * the hint about --verbose, and no stack trace or exception class name.
     */
    static void assertClearError(Run run, String... fragments) {
        assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
        List<String> errors = Arrays.stream(run.err().split("\\R|\r"))
                .filter(line -> line.startsWith("parry: ")).toList();
        assertThat(errors).as(run.err()).hasSize(1);
        assertThat(errors.get(0)).contains(fragments)
                .doesNotContain("Exception").doesNotContain("Traceback");
        assertThat(run.err()).doesNotContain("\tat ").contains("--verbose");
    }
}
