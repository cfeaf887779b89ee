package org.parry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parry.cli.CliTest.parry;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.cli.CliTest.Run;
import org.parry.model.SavedModel;

/**
 * {@code parry train --defense iat|thrm} and {@code --label-noise}: the settings reach the model
 * card, and {@code parry evaluate} reports the hypocritical risk of a noisy-label model.
 */
class TrainIatThrmCommandTest {

    @Test
    void iatWithManifoldMixupTrainsAndItsSettingsAreInTheCard(@TempDir Path dir)
            throws IOException {
        Path model = dir.resolve("iat");
        Run train = parry("train", "--dataset", "synthetic", "--n", "300", "--arch", "mlp",
                "--width", "32", "--epochs", "1", "--defense", "iat", "--eps", "0.05",
                "iat.mix=manifold", "iat.steps=3", "--out", model.toString());
        assertThat(train.exitCode()).as(train.err()).isZero();
        JsonNode defense = card(model).get("training").get("defense");
        assertThat(defense.get("name").asText()).isEqualTo("iat");
        JsonNode settings = defense.get("settings");
        assertThat(settings.get("mix").asText()).isEqualTo("manifold");
        assertThat(settings.get("alpha").asDouble()).isEqualTo(2.0);
        assertThat(settings.get("steps").asInt()).isEqualTo(3);
        assertThat(settings.get("epsilon").asDouble()).isCloseTo(0.05, within());
        assertThat(settings.get("stepSize").asDouble()).isCloseTo(0.0125, within());
    }

    /**
     * A standard model trained on 50 % noisy labels, then THRM on the same noisy labels: both
     * cards record the noise; evaluate prints and writes the hypocritical risk of the noisy one.
     */
    @Test
    void thrmOnNoisyLabelsAndTheHypocriticalRiskOfANoisyLabelModel(@TempDir Path dir)
            throws IOException {
        Path noisy = dir.resolve("noisy");
        Run standard = parry("train", "--dataset", "synthetic", "--n", "400", "--arch", "mlp",
                "--width", "32", "--epochs", "2", "--label-noise", "0.5", "--out",
                noisy.toString());
        assertThat(standard.exitCode()).as(standard.err()).isZero();
        assertThat(card(noisy).get("training").get("labelNoise").asDouble()).isEqualTo(0.5);

        Path thrm = dir.resolve("thrm");
        Run train = parry("train", "--dataset", "synthetic", "--n", "300", "--arch", "mlp",
                "--width", "32", "--epochs", "1", "--label-noise", "0.5", "--defense", "thrm",
                "thrm.beta=3", "thrm.steps=3", "--out", thrm.toString());
        assertThat(train.exitCode()).as(train.err()).isZero();
        JsonNode training = card(thrm).get("training");
        assertThat(training.get("labelNoise").asDouble()).isEqualTo(0.5);
        assertThat(training.get("defense").get("name").asText()).isEqualTo("thrm");
        assertThat(training.get("defense").get("settings").get("beta").asDouble()).isEqualTo(3.0);

        Path report = dir.resolve("report");
        Run evaluate = parry("evaluate", "--model", noisy.toString(), "--dataset", "synthetic",
                "--n", "100", "--suite", "fgsm", "--eps", "0.1", "--sanity", "off", "--report",
                report.toString());
        assertThat(evaluate.exitCode()).as(evaluate.err()).isZero();
        assertThat(evaluate.out()).contains("hypocritical risk at ε=0.1");
        JsonNode risk = SavedModel.json().readTree(report.resolve("report.json").toFile())
                .get("hypocritical");
        assertThat(risk.get("n").asInt()).isEqualTo(100);
        assertThat(risk.get("risk").asDouble()).isBetween(0.0, 1.0);
        assertThat(risk.get("fixed").asInt()).isLessThanOrEqualTo(risk.get("misclassified").asInt());
    }

    @Test
    void badSettingsAreOneLineErrors(@TempDir Path dir) {
        Run mix = parry("train", "--dataset", "synthetic", "--n", "200", "--defense", "iat",
                "iat.mix=hidden", "--out", dir.resolve("a").toString());
        assertThat(mix.exitCode()).isNotZero();
        assertThat(mix.err()).contains("unknown mix 'hidden'").contains("manifold")
                .doesNotContain("\tat ");
        Run beta = parry("train", "--dataset", "synthetic", "--n", "200", "--defense", "thrm",
                "thrm.beta=-1", "--out", dir.resolve("b").toString());
        assertThat(beta.exitCode()).isNotZero();
        assertThat(beta.err()).contains("beta must be >= 0").doesNotContain("\tat ");
        Run linear = parry("train", "--dataset", "synthetic", "--n", "200", "--arch", "linear",
                "--defense", "iat", "iat.mix=manifold", "--out", dir.resolve("c").toString());
        assertThat(linear.exitCode()).isNotZero();
        assertThat(linear.err()).contains("use iat.mix=input").doesNotContain("\tat ");
        Run noise = parry("train", "--dataset", "synthetic", "--n", "200", "--label-noise", "1.5",
                "--out", dir.resolve("d").toString());
        assertThat(noise.exitCode()).isNotZero();
        assertThat(noise.err()).contains("label-noise rate must be in [0, 1)")
                .contains("got 1.5").doesNotContain("\tat ");
    }

    private static JsonNode card(Path model) throws IOException {
        return SavedModel.json().readTree(model.resolve("model.json").toFile());
    }

    private static org.assertj.core.data.Offset<Double> within() {
        return org.assertj.core.data.Offset.offset(1e-6);
    }
}
