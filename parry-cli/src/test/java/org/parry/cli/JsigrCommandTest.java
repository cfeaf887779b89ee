package org.parry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parry.cli.CliTest.parry;
import static org.parry.cli.TorchScriptCommandTest.assertClearError;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.cli.CliTest.Run;
import org.parry.model.SavedModel;

/** {@code parry train --defense jsigr} with each method, and a bad setting's error. */
class JsigrCommandTest {

    @ParameterizedTest
    @ValueSource(strings = {"finite-difference", "double-backprop"})
    void trainsAndTheCardShowsTheSettings(String method, @TempDir Path dir) throws IOException {
        Path model = dir.resolve("jsigr");
        Run train = parry("train", "--dataset", "synthetic", "--n", "600", "--arch", "small-cnn",
                "--width", "8", "--epochs", "1", "--defense", "jsigr", "jsigr.method=" + method,
                "jsigr.saliencyWeight=0.5", "--out", model.toString());
        assertThat(train.exitCode()).as(train.err()).isZero();
        assertThat(Files.isRegularFile(model.resolve("model.json"))).isTrue();
        JsonNode defense = SavedModel.json().readTree(model.resolve("model.json").toFile())
                .get("training").get("defense");
        assertThat(defense.get("name").asText()).isEqualTo("jsigr");
        JsonNode settings = defense.get("settings");
        assertThat(settings.get("method").asText()).isEqualTo(method);
        assertThat(settings.get("saliencyWeight").asDouble()).isEqualTo(0.5);
        assertThat(settings.get("jacobianWeight").asDouble()).isCloseTo(0.1,
                org.assertj.core.data.Offset.offset(1e-6));
        assertThat(settings.get("salientFraction").asDouble()).isCloseTo(0.2,
                org.assertj.core.data.Offset.offset(1e-6));
        assertThat(settings.get("projections").asInt()).isEqualTo(1);
    }

    @Test
    void aBadSettingIsAOneLineError(@TempDir Path dir) {
        assertClearError(parry("train", "--dataset", "synthetic", "--n", "200", "--defense",
                "jsigr", "jsigr.method=exact", "--out", dir.resolve("a").toString()),
                "unknown method 'exact'", "double-backprop or finite-difference");
        assertClearError(parry("train", "--dataset", "synthetic", "--n", "200", "--defense",
                "jsigr", "jsigr.salientFraction=1.5", "--out", dir.resolve("b").toString()),
                "salientFraction must be in [0, 1]");
    }
}
