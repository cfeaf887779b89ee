package org.parry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parry.cli.CliTest.parry;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.cli.CliTest.Run;
import org.parry.model.SavedModel;

/** {@code parry train --defense ladder}: LADDER's settings reach the model card, bad ones fail. */
class LadderCommandTest {

    @Test
    void ladderTrainsAndTheCardRecordsItsSettingsAndWhatItGenerated(@TempDir Path dir)
            throws IOException {
        Path model = dir.resolve("ladder");
        Run train = parry("train", "--dataset", "synthetic", "--n", "600", "--arch", "small-cnn",
                "--width", "8", "--epochs", "2", "--defense", "ladder", "ladder.steps=3",
                "ladder.latentEpsilon=0.4", "ladder.budget=0.9", "--out", model.toString());
        assertThat(train.exitCode()).as(train.err()).isZero();
        assertThat(Files.isRegularFile(model.resolve("weights.params"))).isTrue();
        JsonNode defense = SavedModel.json().readTree(model.resolve("model.json").toFile())
                .get("training").get("defense");
        assertThat(defense.get("name").asText()).isEqualTo("ladder");
        JsonNode settings = defense.get("settings");
        assertThat(settings.get("warmup").asText()).isEqualTo("half");
        assertThat(settings.get("steps").asInt()).isEqualTo(3);
        assertThat(settings.get("latentEpsilon").asDouble()).isCloseTo(0.4, within());
        assertThat(settings.get("budget").asDouble()).isCloseTo(0.9, within());
        assertThat(settings.get("noise").asDouble()).isCloseTo(0.05, within());
        assertThat(settings.get("decoderRate").asDouble()).isCloseTo(1e-3, within());
        assertThat(settings.get("svmRate").asDouble()).isCloseTo(1e-3, within());
        assertThat(settings.get("svmPenalty").asDouble()).isCloseTo(1e-4, within());
        JsonNode history = SavedModel.json().readTree(model.resolve("model.json").toFile())
                .get("training").get("history");
        assertThat(history).hasSize(2);
        // epoch 1 warms up (half of 2 epochs), epoch 2 adds up to 3 examples per image
        assertThat(history.get(0).get("statistics").get("ladder_generated_per_image").asDouble())
                .isZero();
        assertThat(history.get(1).get("statistics").get("ladder_generated_per_image").asDouble())
                .isGreaterThan(0.0).isLessThanOrEqualTo(3.0);
        Run info = parry("info", "--model", model.toString());
        assertThat(info.exitCode()).isZero();
        assertThat(info.out()).contains("name=ladder").contains("latentEpsilon=0.4");
    }

    @Test
    void badSettingsAreOneLineErrorsThatSayTheFix(@TempDir Path dir) {
        Run steps = parry("train", "--dataset", "synthetic", "--n", "200", "--defense", "ladder",
                "--epochs", "2", "ladder.steps=0", "--out", dir.resolve("a").toString());
        assertThat(steps.exitCode()).isNotZero();
        assertThat(steps.err()).contains("steps must be >= 1").doesNotContain("\tat ");
        Run unknown = parry("train", "--dataset", "synthetic", "--n", "200", "--defense", "ladder",
                "--epochs", "2", "ladder.epsilon=2", "--out", dir.resolve("b").toString());
        assertThat(unknown.err()).contains("no setting(s) [epsilon]").contains("latentEpsilon");
        Run oneEpoch = parry("train", "--dataset", "synthetic", "--n", "200", "--arch", "mlp",
                "--defense", "ladder", "--out", dir.resolve("c").toString());
        assertThat(oneEpoch.exitCode()).isNotZero();
        assertThat(oneEpoch.err()).contains("train for at least 2 epochs")
                .doesNotContain("\tat ");
        Run epsilon = parry("train", "--dataset", "synthetic", "--n", "200", "--defense", "ladder",
                "--eps", "0.1", "--epochs", "2", "--out", dir.resolve("d").toString());
        assertThat(epsilon.err()).contains("takes no --eps");
    }

    private static org.assertj.core.data.Offset<Double> within() {
        return org.assertj.core.data.Offset.offset(1e-6);
    }
}
