package org.parry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parry.cli.TorchScriptCommandTest.assertClearError;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.cli.CliTest.Run;
import org.parry.model.SavedModel;

/**
 * SPAT through the command line: {@code parry train --head cosine --defense spat}, what the card
 * and {@code info} say, {@code attack} and {@code analyze classes} on the cosine model, and the
 * mistakes a user can make.
 */
class SpatCommandTest {

    @TempDir
    static Path shared;

    /** small-cnn width 4, cosine head of scale 10, SPAT with 3 attack steps, one epoch. */
    private static Path spat;

    @BeforeAll
    static void trainTheModel() {
        spat = shared.resolve("spat");
        Run run = CliTest.parry("train", "--dataset", "synthetic", "--n", "256", "--batch-size",
                "64", "--arch", "small-cnn", "--width", "4", "--head", "cosine",
                "--cosine-scale", "10", "--defense", "spat", "--eps", "0.1", "spat.steps=3",
                "--epochs", "1", "--out", spat.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("small-cnn (spat) trained on synthetic");
    }

    private static Run train(Path out, String... options) {
        List<String> args = new ArrayList<>(List.of("train", "--dataset", "synthetic", "--n",
                "128", "--arch", "small-cnn", "--width", "4", "--epochs", "1", "--out",
                out.toString()));
        args.addAll(List.of(options));
        return CliTest.parry(args.toArray(String[]::new));
    }

    @Test
    void theCardRecordsTheHeadItsScaleAndEverySpatSettingAndInfoShowsThem() throws IOException {
        JsonNode card = SavedModel.json().readTree(spat.resolve(SavedModel.CARD_FILE).toFile());
        assertThat(card.get("head").asText()).isEqualTo("cosine");
        assertThat(card.get("cosineScale").asDouble()).isEqualTo(10.0);
        JsonNode defense = card.get("training").get("defense");
        assertThat(defense.get("name").asText()).isEqualTo("spat");
        JsonNode settings = defense.get("settings");
        assertThat(settings.get("epsilon").asDouble()).isCloseTo(0.1, within());
        assertThat(settings.get("stepSize").asDouble()).isCloseTo(0.025, within());
        assertThat(settings.get("steps").asInt()).isEqualTo(3);
        assertThat(settings.get("beta").asDouble()).isEqualTo(6.0);
        assertThat(settings.get("margin").asDouble()).isCloseTo(0.2, within());
        assertThat(settings.get("klOffset").asDouble()).isCloseTo(0.2, within());

        Run info = CliTest.parry("info", "--model", spat.toString());
        assertThat(info.exitCode()).as(info.err()).isZero();
        assertThat(info.out()).contains("small-cnn width 4, cosine head (scale 10.0)")
                .contains("name=spat").contains("klOffset=0.2");
    }

    @Test
    void attackAndTheClassPairAnalysisRunOnTheCosineModel(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("attack.json");
        Run attack = CliTest.parry("attack", "--model", spat.toString(), "--dataset",
                "synthetic", "--attack", "pgd", "--eps", "0.3", "--n", "64", "--json",
                json.toString());
        assertThat(attack.exitCode()).as(attack.err()).isZero();
        assertThat(Files.isRegularFile(json)).isTrue();

        Path out = dir.resolve("classes");
        Run classes = CliTest.parry("analyze", "classes", "--model", spat.toString(), "--dataset",
                "synthetic", "--n", "60", "--eps", "0.3", "--steps", "5", "--out", out.toString());
        assertThat(classes.exitCode()).as(classes.err()).isZero();
        assertThat(classes.out()).contains("top wrong class (share)");
        JsonNode results = SavedModel.json().readTree(out.resolve("classes.json").toFile());
        JsonNode matrix = results.get("pair_matrix");
        for (int t = 0; t < 10; t++) {
            long row = 0;
            for (JsonNode count : matrix.get(t)) {
                row += count.asLong();
            }
            assertThat(row).isEqualTo(results.get("per_class").get(t).get("successes").asLong());
        }
    }

    @Test
    void mistakesAreOneLineErrorsThatSayTheFix(@TempDir Path dir) {
        assertClearError(train(dir.resolve("a"), "--defense", "spat", "spat.steps=1"),
                "spat trains a cosine classifier", "--head cosine");
        assertClearError(train(dir.resolve("b"), "--head", "cosine", "--defense", "spat",
                "spat.margin=-0.1"), "margin must be >= 0, got -0.1");
        assertClearError(train(dir.resolve("c"), "--head", "cosine", "--defense", "spat",
                "spat.m=0.3"), "no setting(s) [m]", "margin");
        assertClearError(train(dir.resolve("d"), "--cosine-scale", "4"),
                "--cosine-scale is the scale of a cosine head", "--head cosine");
        assertClearError(train(dir.resolve("e"), "--head", "cosine", "--cosine-scale", "0"),
                "the cosine scale must be > 0, got 0.0");
        assertClearError(train(dir.resolve("f"), "--head", "arc"),
                "unknown classifier head 'arc'", "cosine");
    }

    private static org.assertj.core.data.Offset<Double> within() {
        return org.assertj.core.data.Offset.offset(1e-6);
    }
}
