package org.parry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.cli.CliTest.Run;
import org.parry.model.SavedModel;

/** {@code parry analyze channels|classes|noise} as a user types it. */
class AnalyzeCommandTest {

    @TempDir
    static Path shared;

    private static Path model;
    private static Path torchScript;

    /** A small CNN trained through the command line on the synthetic data set. */
    @BeforeAll
    static void train() throws URISyntaxException {
        model = shared.resolve("cnn");
        Run train = CliTest.parry("train", "--dataset", "synthetic", "--n", "1200", "--arch",
                "small-cnn", "--width", "8", "--epochs", "2", "--out", model.toString());
        assertThat(train.exitCode()).as(train.err()).isZero();
        torchScript = Paths.get(AnalyzeCommandTest.class.getResource("/torchscript/plain_cnn.pt")
                .toURI());
    }

    private static Run analyze(String analysis, String... options) {
        String[] args = new String[options.length + 8];
        System.arraycopy(new String[] {"analyze", analysis, "--model", model.toString(),
            "--dataset", "synthetic", "--n", "60"}, 0, args, 0, 8);
        System.arraycopy(options, 0, args, 8, options.length);
        return CliTest.parry(args);
    }

    @Test
    void channelsWritesTheTableTheChartAndTheJson(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("channels");
        Path json = dir.resolve("channels-copy.json");
        Run run = analyze("channels", "--eps", "0.1", "--steps", "5", "--out", out.toString(),
                "--json", json.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("layer 1.5 maxPool2d (16, 7, 7): 16 channels")
                .contains("robust classes:").contains("CIFS expects");
        assertThat(Files.readAllBytes(out.resolve("channels.png"))).startsWith(0x89, 'P', 'N', 'G');
        JsonNode results = SavedModel.json().readTree(out.resolve("channels.json").toFile());
        assertThat(results.get("model").asText()).isEqualTo(model.toString());
        assertThat(results.get("dataset").asText()).isEqualTo("synthetic");
        assertThat(results.get("analysis").asText()).isEqualTo("channels");
        assertThat(results.get("n").asInt()).isEqualTo(60);
        assertThat(results.get("channels").asInt()).isEqualTo(16);
        assertThat(results.get("attack").get("name").asText()).isEqualTo("pgd");
        assertThat(results.get("attack").get("settings").get("steps").asInt()).isEqualTo(5);
        assertThat(results.get("summary")).hasSize(6);
        assertThat(results.get("per_class")).hasSize(10);
        assertThat(results.get("per_class").get(0).get("relevance")).hasSize(16);
        assertThat(SavedModel.json().readTree(json.toFile())).isEqualTo(results);

        // another layer by its path; an unknown one lists the layers
        Run conv = analyze("channels", "--eps", "0.1", "--steps", "2", "--layer", "1.3");
        assertThat(conv.exitCode()).as(conv.err()).isZero();
        assertThat(conv.out()).contains("layer 1.3 Conv2d (16, 14, 14): 16 channels");
        TorchScriptCommandTest.assertClearError(analyze("channels", "--layer", "4.2"),
                "has no layer '4.2'", "1.5 maxPool2d (16, 7, 7)");

        // no silent overwrite, checked before any work
        TorchScriptCommandTest.assertClearError(analyze("channels", "--out", out.toString()),
                "channels.png: the file exists; pass --overwrite");
    }

    /** A TorchScript model hides its layers: channels refuses it, the other analyses take it. */
    @Test
    void channelsNeedsAParryModel(@TempDir Path dir) throws IOException {
        String data = torchScript.getParent().toString();
        TorchScriptCommandTest.assertClearError(CliTest.parry("analyze", "channels", "--model",
                torchScript.toString(), "--dataset", "mnist", "--data-dir", data),
                "plain_cnn.pt", "TorchScriptClassifier", "intermediate layers",
                "a model directory written by 'parry train'");
        Path json = dir.resolve("classes.json");
        Run classes = CliTest.parry("analyze", "classes", "--model", torchScript.toString(),
                "--dataset", "mnist", "--data-dir", data, "--eps", "0.2", "--steps", "5",
                "--json", json.toString());
        assertThat(classes.exitCode()).as(classes.err()).isZero();
        assertThat(SavedModel.json().readTree(json.toFile()).get("n").asInt()).isEqualTo(100);
    }

    /**
     * Row t of the pair matrix sums to class t's successes; the heat map and the ranked pairs are
     * written.
     */
    @Test
    void classesWritesThePairMatrix(@TempDir Path dir) throws IOException {
        Run run = analyze("classes", "--eps", "0.2", "--steps", "5", "--pairs", "3", "--out",
                dir.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("top wrong class (share)").contains("hardest class pairs");
        assertThat(Files.readAllBytes(dir.resolve("classes.png"))).startsWith(0x89, 'P', 'N', 'G');
        JsonNode results = SavedModel.json().readTree(dir.resolve("classes.json").toFile());
        JsonNode matrix = results.get("pair_matrix");
        long all = 0;
        for (int t = 0; t < 10; t++) {
            long row = 0;
            for (JsonNode count : matrix.get(t)) {
                row += count.asLong();
            }
            assertThat(matrix.get(t).get(t).asLong()).isZero();
            assertThat(row).isEqualTo(results.get("per_class").get(t).get("successes").asLong());
            all += row;
        }
        assertThat(all).as("PGD at 0.2 breaks samples").isPositive();
        long ranked = 0;
        for (JsonNode pair : results.get("pairs")) {
            ranked += pair.get("count").asLong();
        }
        assertThat(ranked).isEqualTo(all);
        assertThat(results.get("adversarial_accuracy").asDouble())
                .isLessThan(results.get("clean_accuracy").asDouble());
    }

    @Test
    void noiseWritesBothCurvesOnOneChart(@TempDir Path dir) throws IOException {
        Run run = analyze("noise", "--sigmas", "0,0.3,0.8", "--draws", "2", "--eps",
                "0.05,0.2", "--steps", "5", "--out", dir.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("Gaussian noise (mean of 2)").contains("pgd linf");
        assertThat(Files.readAllBytes(dir.resolve("noise.png"))).startsWith(0x89, 'P', 'N', 'G');
        JsonNode results = SavedModel.json().readTree(dir.resolve("noise.json").toFile());
        double clean = results.get("clean_accuracy").asDouble();
        assertThat(results.get("noise").get(0).get("sigma").asDouble()).isZero();
        assertThat(results.get("noise").get(0).get("accuracy").asDouble()).isEqualTo(clean);
        assertThat(results.get("noise").get(2).get("accuracy").asDouble()).isLessThan(clean);
        assertThat(results.get("adversarial")).hasSize(2);
        assertThat(results.get("adversarial").get(1).get("adversarial_accuracy").asDouble())
                .isLessThanOrEqualTo(results.get("adversarial").get(0).get("adversarial_accuracy")
                        .asDouble());
        assertThat(results.get("draws").asInt()).isEqualTo(2);
    }

    @Test
    void badOptionsAreOneLineErrors() {
        TorchScriptCommandTest.assertClearError(analyze("noise", "--sigmas", "0.3,0.1"),
                "sigmas must increase, got [0.3, 0.1]", "ascending order");
        TorchScriptCommandTest.assertClearError(analyze("noise", "--sigmas=0,-0.1"),
                "sigmas must be finite and >= 0, got -0.1");
        Run notANumber = analyze("noise", "--sigmas", "0,lots");
        assertThat(notANumber.exitCode()).isEqualTo(2);
        assertThat(notANumber.err()).contains("--sigmas").contains("--help");
        TorchScriptCommandTest.assertClearError(analyze("classes", "--attack", "deepfool"),
                "deepfool");
        Run bare = CliTest.parry("analyze");
        assertThat(bare.exitCode()).isEqualTo(2);
        assertThat(bare.err()).contains("channels, classes or noise");
    }
}
