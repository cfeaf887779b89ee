package org.parry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.model.SavedModel;

/** The command line end to end, on the synthetic data set. */
class CliTest {

    record Run(int exitCode, String out, String err) {}

    static Run parry(String... args) {
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = ParryCommand.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }

    /**
     * Trains a synthetic-data MLP into {@code out} through the command line (the shared fixture of
     * the CLI tests), failing the test with parry's error output if training fails.
     *
     * @param options extra train options, e.g. {@code "--epochs", "2"}
     */
    static Path trainedMlp(Path out, String... options) {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("train",
                "--dataset", "synthetic", "--arch", "mlp", "--out", out.toString()));
        args.addAll(java.util.List.of(options));
        Run train = parry(args.toArray(String[]::new));
        assertThat(train.exitCode()).as(train.err()).isZero();
        return out;
    }

    @Test
    void trainThenEvalThenInfo(@TempDir Path dir) throws IOException {
        Path model = dir.resolve("model");
        Run train = parry("train", "--dataset", "synthetic", "--arch", "mlp", "--width", "32",
                "--epochs", "2", "--out", model.toString(), "--json", dir.resolve("train.json").toString());
        assertThat(train.exitCode()).as(train.err()).isZero();
        assertThat(train.out()).contains("test accuracy").contains("saved to");
        JsonNode card = SavedModel.json().readTree(model.resolve("model.json").toFile());
        assertThat(card.get("architecture").asText()).isEqualTo("mlp");
        assertThat(card.get("dataset").asText()).isEqualTo("synthetic");
        assertThat(card.get("training").get("epochs").asInt()).isEqualTo(2);
        assertThat(card.get("training").get("backward").asText())
                .matches("onednn|onednn \\(verified against the bypass\\)|libtorch \\(oneDNN bypassed\\)");
        assertThat(card.get("metrics").get("test_accuracy").asDouble()).isGreaterThan(0.9);
        assertThat(card.get("parryVersion").asText()).isNotBlank();

        Path evalJson = dir.resolve("eval.json");
        Run eval = parry("eval", "--model", model.toString(), "--dataset", "synthetic", "--n", "300",
                "--json", evalJson.toString());
        assertThat(eval.exitCode()).as(eval.err()).isZero();
        assertThat(eval.out()).contains("clean accuracy").contains("confusion matrix");
        JsonNode results = SavedModel.json().readTree(evalJson.toFile());
        assertThat(results.get("n").asInt()).isEqualTo(300);
        assertThat(results.get("clean_accuracy").asDouble())
                .isCloseTo(card.get("metrics").get("test_accuracy").asDouble(),
                        org.assertj.core.data.Offset.offset(0.1));
        long confusionTotal = 0;
        for (JsonNode row : results.get("confusion_matrix")) {
            for (JsonNode count : row) {
                confusionTotal += count.asLong();
            }
        }
        assertThat(confusionTotal).isEqualTo(300);

        Run info = parry("info", "--model", model.toString());
        assertThat(info.exitCode()).isZero();
        assertThat(info.out()).contains("architecture:").contains("mlp").contains("test_accuracy");
    }

    @Test
    void errorsAreOneLineWithTheFix(@TempDir Path dir) throws IOException {
        Run missing = parry("eval", "--model", dir.resolve("nope").toString(), "--dataset", "synthetic");
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err()).startsWith("parry: ").contains("not found").contains("parry train")
                .doesNotContain("\tat ");

        Files.writeString(dir.resolve("garbage.pt"), "not a model");
        Run garbage = parry("eval", "--model", dir.resolve("garbage.pt").toString(), "--dataset", "synthetic");
        assertThat(garbage.exitCode()).isEqualTo(1);
        assertThat(garbage.err()).contains("garbage.pt").doesNotContain("\tat ");

        Run badArch = parry("train", "--dataset", "synthetic", "--arch", "vgg", "--out", dir.toString());
        assertThat(badArch.err()).contains("unknown architecture 'vgg'").contains("small-cnn");

        Run badData = parry("eval", "--model", dir.toString(), "--dataset", "imagenet");
        assertThat(badData.exitCode()).isEqualTo(1);

        Run usage = parry("train", "--epochs", "many");
        assertThat(usage.exitCode()).isEqualTo(2);
        assertThat(usage.err()).contains("--epochs").contains("--help");

        Run verbose = parry("eval", "--verbose", "--model", dir.resolve("nope").toString(), "--dataset", "synthetic");
        assertThat(verbose.err()).contains("\tat ");
    }

    /** A real kill (SIGKILL of a separate JVM) after the first checkpoint, then --resume. */
    @Test
    void killedTrainingResumesFromItsLastCheckpoint(@TempDir Path dir) throws Exception {
        String[] trainArgs = {"train", "--dataset", "synthetic", "--arch", "mlp", "--width", "64",
            "--epochs", "12", "--seed", "3"};
        Path killed = dir.resolve("killed");
        Process process = new ProcessBuilder(javaCommand(trainArgs, "--out", killed.toString()))
                .redirectErrorStream(true).redirectOutput(dir.resolve("killed.log").toFile()).start();
        Path checkpoint = killed.resolve("checkpoint").resolve("checkpoint.json");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.exists(checkpoint) && process.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        process.destroyForcibly().waitFor();
        assertThat(checkpoint).as(Files.readString(dir.resolve("killed.log"))).exists();
        int done = SavedModel.json().readTree(checkpoint.toFile()).get("epochsCompleted").asInt();
        assertThat(done).as("killed before the end").isBetween(1, 11);
        assertThat(killed.resolve("model.json")).doesNotExist();

        Run resumed = parry(concat(trainArgs, "--out", killed.toString(), "--resume"));
        assertThat(resumed.exitCode()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("resuming from the checkpoint after epoch " + done);

        Path uninterrupted = dir.resolve("uninterrupted");
        assertThat(parry(concat(trainArgs, "--out", uninterrupted.toString())).exitCode()).isZero();
        assertThat(Files.readAllBytes(killed.resolve("weights.params")))
                .isEqualTo(Files.readAllBytes(uninterrupted.resolve("weights.params")));
    }

    private static String[] concat(String[] first, String... more) {
        String[] all = java.util.Arrays.copyOf(first, first.length + more.length);
        System.arraycopy(more, 0, all, first.length, more.length);
        return all;
    }

    private static java.util.List<String> javaCommand(String[] args, String... more) {
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                ParryCommand.class.getName()));
        command.addAll(java.util.List.of(concat(args, more)));
        return command;
    }
}
