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

/**
 * {@code --defense} in {@code parry attack} and {@code parry evaluate}, end to end: on a Parry
 * model, autograd through a quantizer leaves PGD blind and BPDA breaks the model; the defense and
 * its gradient mode reach the JSON and the report; a TorchScript model can be defended too; and
 * every mistake is a one-line error.
 */
class DefenseCommandTest {

    @TempDir
    static Path shared;

    private static Path model;

    @BeforeAll
    static void trainTinyModel() {
        model = CliTest.trainedMlp(shared.resolve("mlp"));
    }

    private static JsonNode attack(Path json, String... defense) throws IOException {
        String[] args = {"attack", "--model", model.toString(), "--dataset", "synthetic", "--n",
            "200", "--attack", "pgd", "--eps", "0.1", "--json", json.toString()};
        String[] all = new String[args.length + defense.length];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(defense, 0, all, args.length, defense.length);
        Run run = CliTest.parry(all);
        assertThat(run.exitCode()).as(run.err()).isZero();
        return SavedModel.json().readTree(json.toFile());
    }

    @Test
    void bpdaBreaksTheQuantizedModelThatAutogradLeavesStanding(@TempDir Path dir) throws IOException {
        JsonNode bare = attack(dir.resolve("bare.json"));
        JsonNode masked = attack(dir.resolve("exact.json"), "--defense", "bit-depth:bits=2");
        JsonNode bpda = attack(dir.resolve("bpda.json"), "--defense", "bit-depth:bits=2",
                "--gradients", "bpda");
        assertThat(bare.get("defense").isNull()).isTrue();
        JsonNode stage = bpda.get("defense").get("stages").get(0);
        assertThat(stage.get("name").asText()).isEqualTo("bit-depth");
        assertThat(stage.get("settings").get("bits").asInt()).isEqualTo(2);
        assertThat(stage.get("gradients").asText()).isEqualTo("bpda");
        assertThat(masked.get("defense").get("stages").get(0).get("gradients").asText())
                .isEqualTo("exact");
        double clean = masked.get("clean_accuracy").asDouble();
        double oblivious = masked.get("robust_accuracy").asDouble();
        double adaptive = bpda.get("robust_accuracy").asDouble();
        System.err.printf("mlp behind 2-bit quantization: clean %.3f, PGD through autograd %.3f,"
                + " through BPDA %.3f; bare model under PGD %.3f%n", clean, oblivious, adaptive,
                bare.get("robust_accuracy").asDouble());
        assertThat(oblivious).as("zero gradients leave PGD blind").isGreaterThan(clean - 0.15);
        assertThat(adaptive).as("BPDA finds its way").isLessThan(oblivious - 0.3);
    }

    @Test
    void evaluateNamesTheDefenseAndItsGradientsInTheReport(@TempDir Path dir) throws IOException {
        Path report = dir.resolve("report");
        Run run = CliTest.parry("evaluate", "--model", model.toString(), "--dataset", "synthetic",
                "--n", "60", "--suite", "fgsm,pgd", "--sanity", "off", "--report",
                report.toString(), "--defense", "jpeg:quality=50", "--defense", "noise:sigma=0.05",
                "--gradients", "bpda", "--eot", "3");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode defense = SavedModel.json().readTree(report.resolve("report.json").toFile())
                .get("provenance").get("defense");
        assertThat(defense.get("eot").asInt()).isEqualTo(3);
        assertThat(defense.get("stages").get(0).get("name").asText()).isEqualTo("jpeg");
        assertThat(defense.get("stages").get(0).get("gradients").asText()).isEqualTo("bpda");
        assertThat(defense.get("stages").get(1).get("name").asText()).isEqualTo("noise");
        assertThat(defense.get("stages").get(1).get("gradients").asText()).isEqualTo("exact");
        assertThat(Files.readString(report.resolve("index.html")))
                .contains("jpeg (quality=50), gradients by bpda &gt; noise (sigma=0.05)")
                .contains("averaged over 3 draws (EOT)");
    }

    @Test
    void aTorchScriptModelCanBeDefendedToo(@TempDir Path dir) throws IOException, URISyntaxException {
        Path fixtures = Paths.get(DefenseCommandTest.class.getResource("/torchscript/expected.json")
                .toURI()).getParent();
        Path json = dir.resolve("ts.json");
        Run run = CliTest.parry("attack", "--model", fixtures.resolve("plain_cnn.pt").toString(),
                "--dataset", "mnist", "--data-dir", fixtures.toString(), "--attack", "pgd",
                "--eps", "0.2", "--defense", "median:size=2", "--json", json.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode results = SavedModel.json().readTree(json.toFile());
        assertThat(results.get("defense").get("network").asText()).isEqualTo("plain_cnn.pt");
        assertThat(results.get("robust_accuracy").asDouble())
                .isLessThan(results.get("clean_accuracy").asDouble() - 0.3);
    }

    @Test
    void mistakesAreOneLineErrors() {
        TorchScriptCommandTest.assertClearError(CliTest.parry("attack", "--model", model.toString(), "--dataset",
                "synthetic", "--attack", "fgsm", "--eps", "0.1", "--defense", "blurr"),
                "unknown defense 'blurr'", "bit-depth");
        TorchScriptCommandTest.assertClearError(CliTest.parry("attack", "--model", model.toString(), "--dataset",
                "synthetic", "--attack", "fgsm", "--eps", "0.1", "--defense", "jpeg:qualty=5"),
                "defense 'jpeg' has no setting(s) [qualty]", "[quality]");
        TorchScriptCommandTest.assertClearError(CliTest.parry("attack", "--model", model.toString(), "--dataset",
                "synthetic", "--attack", "fgsm", "--eps", "0.1", "--gradients", "bpda"),
                "--gradients and --eot say how attacks pass a defense", "--defense SPEC");
        TorchScriptCommandTest.assertClearError(CliTest.parry("evaluate", "--model", model.toString(), "--dataset",
                "synthetic", "--defense", "noise", "--eot", "0"), "--eot must be >= 1, got 0");
        TorchScriptCommandTest.assertClearError(CliTest.parry("attack", "--model", model.toString(), "--dataset",
                "synthetic", "--attack", "fgsm", "--eps", "0.1", "--defense", "jpeg",
                "--gradients", "straight"), "unknown gradient mode 'straight'", "bpda");
    }
}
