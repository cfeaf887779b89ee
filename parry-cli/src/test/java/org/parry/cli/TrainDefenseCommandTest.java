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

/** {@code parry train --defense}: one flag picks a defense, and the model card records it. */
class TrainDefenseCommandTest {

    @Test
    void aDefenseAndAllItsSettingsGoIntoTheModelCardAndInfoShowsThem(@TempDir Path dir)
            throws IOException {
        Path model = dir.resolve("fast");
        Run train = parry("train", "--dataset", "synthetic", "--n", "1200", "--arch", "small-cnn",
                "--width", "8", "--activation", "softplus", "--first-stride", "2", "--epochs", "2",
                "--defense", "fgsm-rs", "--eps", "0.05", "fgsm-rs.firstLayerPenalty=0.01",
                "--monitor-size", "200", "--out", model.toString());
        assertThat(train.exitCode()).as(train.err()).isZero();
        JsonNode card = SavedModel.json().readTree(model.resolve("model.json").toFile());
        assertThat(card.get("activation").asText()).isEqualTo("softplus");
        assertThat(card.get("firstStride").asInt()).isEqualTo(2);
        JsonNode defense = card.get("training").get("defense");
        assertThat(defense.get("name").asText()).isEqualTo("fgsm-rs");
        assertThat(defense.get("settings").get("epsilon").asDouble()).isCloseTo(0.05, within());
        assertThat(defense.get("settings").get("stepSize").asDouble()).isCloseTo(0.0625, within());
        assertThat(defense.get("settings").get("firstLayerPenalty").asDouble())
                .isCloseTo(0.01, within());
        assertThat(card.get("training").get("train_size").asInt()).isEqualTo(1000);
        JsonNode history = card.get("training").get("history");
        assertThat(history).hasSize(2);
        assertThat(history.get(1).get("statistics").get("monitor_pgd_accuracy").isNumber()).isTrue();

        Run info = parry("info", "--model", model.toString());
        assertThat(info.exitCode()).isZero();
        assertThat(info.out()).contains("softplus, first stride 2").contains("name=fgsm-rs")
                .contains("firstLayerPenalty=0.01");
    }

    @Test
    void distillationWithoutATeacherTrainsOneFirst(@TempDir Path dir) throws IOException {
        Path model = dir.resolve("student");
        Run train = parry("train", "--dataset", "synthetic", "--n", "600", "--arch", "mlp",
                "--width", "32", "--epochs", "1", "--defense", "distillation",
                "distillation.temperature=20", "--out", model.toString());
        assertThat(train.exitCode()).as(train.err()).isZero();
        assertThat(Files.isRegularFile(model.resolve("teacher").resolve("model.json"))).isTrue();
        JsonNode teacher = SavedModel.json().readTree(model.resolve("teacher/model.json").toFile());
        assertThat(teacher.get("training").get("defense").get("settings").get("temperature")
                .asDouble()).isEqualTo(20.0);
        JsonNode student = SavedModel.json().readTree(model.resolve("model.json").toFile());
        assertThat(student.get("training").get("defense").get("settings").get("teacher").asText())
                .isEqualTo(model.resolve("teacher").toString());
    }

    @Test
    void mistakesAreOneLineErrorsThatSayTheFix(@TempDir Path dir) {
        Run unknown = parry("train", "--dataset", "synthetic", "--n", "200", "--defense", "madry",
                "--out", dir.resolve("a").toString());
        assertThat(unknown.exitCode()).isNotZero();
        assertThat(unknown.err()).contains("unknown defense 'madry'").contains("pgd-at")
                .doesNotContain("\tat ");
        Run misspelt = parry("train", "--dataset", "synthetic", "--n", "200", "--defense", "pgd-at",
                "pgd-at.step=3", "--out", dir.resolve("b").toString());
        assertThat(misspelt.err()).contains("no setting(s) [step]");
        Run wrongPrefix = parry("train", "--dataset", "synthetic", "--n", "200", "--defense",
                "pgd-at", "trades.beta=3", "--out", dir.resolve("c").toString());
        assertThat(wrongPrefix.err()).contains("is for defense 'trades'");
        Run epsilon = parry("train", "--dataset", "synthetic", "--n", "200", "--eps", "0.1",
                "--out", dir.resolve("d").toString());
        assertThat(epsilon.err()).contains("takes no --eps");
        Run activation = parry("train", "--dataset", "synthetic", "--n", "200", "--activation",
                "tanh", "--out", dir.resolve("e").toString());
        assertThat(activation.err()).contains("unknown activation 'tanh'").contains("softplus");
    }

    private static org.assertj.core.data.Offset<Double> within() {
        return org.assertj.core.data.Offset.offset(1e-6);
    }
}
