package org.parry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parry.cli.TorchScriptCommandTest.assertClearError;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.model.SavedModel;

/** {@code parry attack --attack mi-fgsm}, white-box and from an ensemble of sources. */
class MiFgsmCommandTest {

    @TempDir
    static Path shared;
    static Path target;
    static Path first;
    static Path second;

    @BeforeAll
    static void trainModels() throws IOException {
        target = CliTest.trainedMlp(shared.resolve("target"), "--width", "32", "--seed", "1");
        first = CliTest.trainedMlp(shared.resolve("first"), "--width", "32", "--seed", "2");
        second = CliTest.trainedMlp(shared.resolve("second"), "--width", "32", "--seed", "3");
    }

    @Test
    void whiteBoxAndFromAnEnsembleOfSources(@TempDir Path dir) throws IOException {
        CliTest.Run white = CliTest.parry("attack", "--dataset", "synthetic", "--n", "100",
                "--model", target.toString(), "--attack", "mi-fgsm", "--eps", "0.2",
                "--json", dir.resolve("white.json").toString());
        assertThat(white.exitCode()).as(white.err()).isZero();
        assertThat(white.out()).contains("decay=1.0").contains("steps=10");
        JsonNode whiteJson = SavedModel.json().readTree(dir.resolve("white.json").toFile());
        assertThat(whiteJson.get("robust_accuracy").asDouble())
                .isLessThan(whiteJson.get("clean_accuracy").asDouble() - 0.3);

        CliTest.Run transfer = CliTest.parry("attack", "--dataset", "synthetic", "--n", "100",
                "--model", target.toString(), "--attack", "mi-fgsm", "--eps", "0.2",
                "--source", first.toString(), "--source", second.toString(), "--black-box",
                "--json", dir.resolve("transfer.json").toString());
        assertThat(transfer.exitCode()).as(transfer.err()).isZero();
        assertThat(transfer.out()).contains("attack transfer-mi-fgsm").contains("ensemble=logits");
        JsonNode moved = SavedModel.json().readTree(dir.resolve("transfer.json").toFile());
        assertThat(moved.get("attack").get("name").asText()).isEqualTo("transfer-mi-fgsm");
        assertThat(moved.get("robust_accuracy").asDouble())
                .isGreaterThanOrEqualTo(whiteJson.get("robust_accuracy").asDouble())
                .isLessThan(moved.get("clean_accuracy").asDouble());
    }

    @Test
    void aBadSettingIsAClearError(@TempDir Path dir) {
        assertClearError(CliTest.parry("attack", "--dataset", "synthetic", "--n", "20", "--model",
                target.toString(), "--attack", "mi-fgsm", "--eps", "0.1", "mi-fgsm.decay=-1"),
                "decay must be >= 0");
        assertClearError(CliTest.parry("attack", "--dataset", "synthetic", "--n", "20", "--model",
                target.toString(), "--attack", "mi-fgsm", "--eps", "3", "--norm", "l1"),
                "linf or l2");
    }
}
