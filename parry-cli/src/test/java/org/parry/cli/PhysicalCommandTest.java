package org.parry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.cli.CliTest.Run;
import org.parry.eval.DestructionRate;
import org.parry.model.SavedModel;

/**
 * {@code parry attack --physical}, end to end on a tiny MLP: the paper's destruction table in the
 * console and the JSON, with counts that agree with the attack's own; the identity destroys
 * nothing; an attack with EOT over the photo emulation ({@code --defense photo --eot N}) makes
 * examples the photo destroys less often; and every mistake is a one-line error.
 */
class PhysicalCommandTest {

    @TempDir
    static Path shared;

    private static Path model;

    @BeforeAll
    static void trainTinyModel() {
        model = CliTest.trainedMlp(shared.resolve("mlp"));
    }

    private static Run attack(String... more) {
        List<String> args = new ArrayList<>(List.of("attack", "--model", model.toString(),
                "--dataset", "synthetic", "--n", "200", "--attack", "pgd", "--eps", "0.1",
                "--steps", "10"));
        args.addAll(List.of(more));
        return CliTest.parry(args.toArray(String[]::new));
    }

    private static JsonNode json(Path file, String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of(more));
        args.addAll(List.of("--json", file.toString()));
        Run run = attack(args.toArray(String[]::new));
        assertThat(run.exitCode()).as(run.err()).isZero();
        return SavedModel.json().readTree(file.toFile());
    }

    @Test
    void thePapersTableInTheConsoleAndTheJson(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("attack.json");
        Run run = attack("--physical", "--physical", "brightness:delta=0", "--json",
                file.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        System.err.print(run.out().substring(run.out().indexOf("destruction rate")));
        assertThat(run.out()).contains("destruction rate of each transform T on the network")
                .contains("accuracy on T(clean)");
        for (String spec : DestructionRate.PAPER_TRANSFORMS) {
            assertThat(run.out()).contains("  " + spec + " ");
        }
        JsonNode results = SavedModel.json().readTree(file.toFile());
        JsonNode physical = results.get("physical");
        assertThat(physical.get("model").asText()).isEqualTo("network");
        JsonNode transforms = physical.get("transforms");
        assertThat(transforms).hasSize(DestructionRate.PAPER_TRANSFORMS.size() + 1);
        int successes = results.get("successes").asInt();
        assertThat(successes).isGreaterThan(20);
        for (JsonNode rate : transforms) {
            assertThat(rate.get("adversarial").asInt()).as("the attack's successes")
                    .isEqualTo(successes);
            assertThat(rate.get("destroyed").asInt()).isBetween(0, successes);
            assertThat(rate.get("destruction_rate").asDouble()).isEqualTo(
                    rate.get("destroyed").asDouble() / successes);
            assertThat(rate.get("clean_accuracy").asDouble())
                    .isEqualTo(results.get("clean_accuracy").asDouble());
            assertThat(rate.get("transformed_clean_top5_accuracy").asDouble())
                    .isGreaterThanOrEqualTo(rate.get("transformed_clean_accuracy").asDouble());
        }
        JsonNode jpeg10 = transforms.get(8);
        assertThat(jpeg10.get("name").asText()).isEqualTo("jpeg");
        assertThat(jpeg10.get("settings").get("quality").asInt()).as("quality recorded")
                .isEqualTo(10);
        assertThat(transforms.get(5).get("settings").get("sigma").asDouble()).isEqualTo(2.0);
        JsonNode identity = transforms.get(transforms.size() - 1);
        assertThat(identity.get("destroyed").asInt()).as("brightness 0 is the identity").isZero();
        assertThat(identity.get("transformed_clean_accuracy").asDouble())
                .isEqualTo(results.get("clean_accuracy").asDouble());
    }

    @Test
    void eotOverThePhotoMakesExamplesThePhotoDestroysLess(@TempDir Path dir) throws IOException {
        JsonNode plain = json(dir.resolve("plain.json"), "--physical", "photo");
        JsonNode eot = json(dir.resolve("eot.json"), "--defense", "photo", "--eot", "8",
                "--physical", "photo");
        assertThat(eot.get("defense").get("stages").get(0).get("name").asText()).isEqualTo("photo");
        JsonNode plainRate = plain.get("physical").get("transforms").get(0);
        JsonNode eotRate = eot.get("physical").get("transforms").get(0);
        System.err.printf("mlp, PGD-10 at 0.1: the photo destroys %d/%d plain and %d/%d EOT-8"
                + " examples%n", plainRate.get("destroyed").asInt(),
                plainRate.get("adversarial").asInt(), eotRate.get("destroyed").asInt(),
                eotRate.get("adversarial").asInt());
        assertThat(eotRate.get("adversarial").asInt()).isGreaterThan(20);
        assertThat(eotRate.get("destruction_rate").asDouble())
                .isLessThan(plainRate.get("destruction_rate").asDouble());
    }

    @Test
    void mistakesAreOneLineErrors() {
        TorchScriptCommandTest.assertClearError(attack("--physical", "blurr"),
                "unknown transform 'blurr'", "brightness", "photo");
        TorchScriptCommandTest.assertClearError(attack("--physical", "photo:rot=3"),
                "transform 'photo' has no setting(s) [rot]", "rotation");
        TorchScriptCommandTest.assertClearError(attack("--physical", "blur:sigma=2..1"),
                "a range needs finite from <= to, got 2.0..1.0");
        TorchScriptCommandTest.assertClearError(attack("--physical", "pgd.restarts=2"),
                "put the attack's settings before --physical");
        TorchScriptCommandTest.assertClearError(attack("--physical-model", "defended"),
                "--physical-model says what judges", "--physical [SPEC]");
        TorchScriptCommandTest.assertClearError(attack("--physical", "--physical-model", "camera"),
                "--physical-model must be network or defended, got camera");
    }
}
