package org.parry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parry.cli.TorchScriptCommandTest.assertClearError;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.attack.Universal;
import org.parry.cli.CliTest.Run;
import org.parry.model.SavedModel;

/**
 * {@code parry attack --universal} and {@code --universal-from} end to end on the synthetic data
 * set and a tiny MLP trained here: the files written, the saved perturbation measuring the same
 * on the same images, and one-line errors for options that make no sense.
 */
class UniversalCommandTest {

    @TempDir
    static Path shared;

    private static Path model;

    @BeforeAll
    static void trainTinyModel() {
        model = CliTest.trainedMlp(shared.resolve("mlp"), "--width", "32", "--epochs", "1");
    }

    private static Run attack(String... options) {
        List<String> args = new ArrayList<>(List.of("attack", "--dataset", "synthetic", "--model",
                model.toString()));
        args.addAll(Arrays.asList(options));
        return CliTest.parry(args.toArray(String[]::new));
    }

    /** The value printed after {@code label} on its line. */
    private static String line(String out, String label) {
        return out.lines().filter(l -> l.startsWith(label)).findFirst().orElseThrow();
    }

    @Test
    void fitsWritesAndReapplies(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("uap");
        Run fit = attack("--universal", "--eps", "0.2", "--n", "100", "--fit-n", "100",
                "uap.passes=1", "uap.candidates=3", "--out", out.toString());
        assertThat(fit.exitCode()).as(fit.err()).isZero();
        assertThat(fit.out()).contains("pass 1: fooling rate").contains("fitting fooling rate:")
                .contains("synthetic, test split, 100 images").contains("accuracy under v:");

        JsonNode card = SavedModel.json().readTree(out.resolve(Universal.CARD_FILE).toFile());
        assertThat(card.get("kind").asText()).isEqualTo("universal-perturbation");
        assertThat(card.get("norm").asText()).isEqualTo("linf");
        assertThat(card.get("epsilon").asDouble()).isCloseTo(0.2, org.assertj.core.data.Offset.offset(1e-7));
        assertThat(card.get("magnitude").asDouble()).isPositive().isLessThanOrEqualTo(0.2f + 1e-6);
        assertThat(card.get("data").asText()).isEqualTo("synthetic, 100 images");
        assertThat(card.get("settings").get("passes").asInt()).isEqualTo(1);
        assertThat(card.get("foolingRates")).hasSize(1);
        Universal saved = Universal.load(out);
        assertThat(saved.values()).hasSize(784);
        BufferedImage picture = ImageIO.read(out.resolve(UniversalOptions.PICTURE).toFile());
        assertThat(picture.getWidth()).isGreaterThanOrEqualTo(112);

        Run again = attack("--universal-from", out.toString(), "--n", "100");
        assertThat(again.exitCode()).as(again.err()).isZero();
        for (String label : List.of("fooling rate:", "clean accuracy:", "accuracy under v:")) {
            assertThat(line(again.out(), label)).isEqualTo(line(fit.out(), label));
        }

        Run refused = attack("--universal", "--eps", "0.2", "--n", "100", "--fit-n", "100",
                "uap.passes=1", "--out", out.toString());
        assertClearError(refused, "universal", "the file exists", "--overwrite");
    }

    @Test
    void optionsThatMakeNoSenseAreRefusedInOneLine(@TempDir Path dir) {
        assertClearError(attack("--universal", "--eps", "0.2", "--split", "train"),
                "fits v on the train split", "--split test");
        assertClearError(attack("--universal", "--eps", "0.2", "--attack", "pgd"),
                "fits the attack uap", "remove --attack pgd");
        assertClearError(attack("--universal", "--eps", "0.2", "--targeted"), "untargeted");
        assertClearError(attack("--universal"), "uap needs an epsilon", "--eps");
        assertClearError(attack("--universal", "--eps", "0.2", "--fit-n", "5000"),
                "--fit-n 5000 is more than the 2000 images");
        assertClearError(attack("--universal-from", dir.resolve("none").toString()),
                "not found", "universal.json");
        assertClearError(attack("--universal-from", dir.toString(), "--eps", "0.1"),
                "measures a saved perturbation", "remove --attack, --eps");
        assertClearError(attack("--n", "10"), "--attack is required", "--universal");
    }
}
