package org.parry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parry.cli.TorchScriptCommandTest.assertClearError;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.cli.CliTest.Run;
import org.parry.model.BlockClassifier;
import org.parry.model.SavedModel;
import org.parry.model.zoo.Sparta;

/**
 * The robust architectures through the command line: {@code parry train --arch cnn3} with CIFS,
 * feature denoising and Sparta, what {@code info}, {@code attack} and {@code evaluate} say about
 * such a model, Sparta's transfer, TisODE's noise augmentation, and the mistakes a user can make.
 */
class RobustArchitectureCommandTest {

    @TempDir
    static Path shared;

    /** cnn3 width 4 with a linear CIFS probe, mean denoising and Sparta. */
    private static Path robust;

    /** A plain small-cnn: no probes, no Sparta. */
    private static Path plain;

    @BeforeAll
    static void trainTheModels() {
        robust = train(shared.resolve("robust"), "--arch", "cnn3", "--width", "4", "--block",
                "cifs", "--denoise", "mean", "--activation", "sparta", "--n", "256",
                "--batch-size", "64");
        plain = train(shared.resolve("plain"), "--arch", "small-cnn", "--width", "4", "--n", "64");
    }

    private static Path train(Path out, String... options) {
        List<String> args = new ArrayList<>(List.of("train", "--dataset", "synthetic", "--epochs",
                "1", "--out", out.toString()));
        args.addAll(List.of(options));
        Run run = CliTest.parry(args.toArray(String[]::new));
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("test accuracy").contains("saved to");
        return out;
    }

    private static JsonNode card(Path model) throws IOException {
        return SavedModel.json().readTree(model.resolve(SavedModel.CARD_FILE).toFile());
    }

    private static Run attack(String... options) {
        List<String> args = new ArrayList<>(List.of("attack", "--model", robust.toString(),
                "--dataset", "synthetic", "--attack", "fgsm", "--eps", "0.1", "--n", "64"));
        args.addAll(List.of(options));
        return CliTest.parry(args.toArray(String[]::new));
    }

    private static JsonNode evaluate(Path report, String... options) throws IOException {
        List<String> args = new ArrayList<>(List.of("evaluate", "--model", robust.toString(),
                "--dataset", "synthetic", "--n", "30", "--suite", "fgsm", "--eps", "0.05",
                "--sanity", "off", "--report", report.toString()));
        args.addAll(List.of(options));
        Run run = CliTest.parry(args.toArray(String[]::new));
        assertThat(run.exitCode()).as(run.err()).isZero();
        return SavedModel.json().readTree(report.resolve("report.json").toFile());
    }

    @Test
    void theCardRecordsEveryBlockAndInfoShowsThem() throws IOException {
        JsonNode card = card(robust);
        assertThat(card.get("architecture").asText()).isEqualTo("cnn3");
        assertThat(card.get("width").asInt()).isEqualTo(4);
        assertThat(card.get("activation").asText()).isEqualTo("sparta");
        assertThat(card.get("cifs").asText()).isEqualTo("linear");
        assertThat(card.get("cifsBeta").asDouble()).isEqualTo(2.0);
        assertThat(card.get("denoise").asText()).isEqualTo("mean");

        Run info = CliTest.parry("info", "--model", robust.toString());
        assertThat(info.exitCode()).as(info.err()).isZero();
        assertThat(info.out())
                .contains("cnn3 width 4, sparta, cifs linear probe (beta 2.0), denoise mean");
        Run plainInfo = CliTest.parry("info", "--model", plain.toString());
        assertThat(plainInfo.out()).contains("small-cnn width 4").doesNotContain("cifs")
                .doesNotContain("denoise");
    }

    @Test
    void attacksSayWhichLossTheyDifferentiated() {
        Run joint = attack();
        assertThat(joint.exitCode()).as(joint.err()).isZero();
        assertThat(joint.out()).contains("robust accuracy")
                .contains("attack loss: joint loss of the classifier and its 1 CIFS probe(s)");
        Run head = attack("--head-only");
        assertThat(head.exitCode()).as(head.err()).isZero();
        assertThat(head.out()).contains("attack loss: the classifier's head alone (--head-only;")
                .doesNotContain("joint loss");
    }

    @Test
    void theEvaluationReportNamesTheAttackLoss(@TempDir Path dir) throws IOException {
        JsonNode joint = evaluate(dir.resolve("joint")).get("provenance");
        assertThat(joint.get("attack_loss").asText())
                .startsWith("joint loss of the classifier and its 1 CIFS probe(s)");
        JsonNode head = evaluate(dir.resolve("head"), "--head-only").get("provenance");
        assertThat(head.get("attack_loss").asText()).startsWith("the classifier's head alone");
    }

    @Test
    void spartaModulesTransferIntoANewNetworkAndTheCardSaysFromWhere(@TempDir Path dir)
            throws IOException {
        Path target = train(dir.resolve("target"), "--arch", "cnn3", "--width", "4",
                "--activation", "sparta", "--sparta-from", robust.toString(), "--n", "64",
                "--seed", "3");
        assertThat(card(target).get("training").get("spartaFrom").asText())
                .isEqualTo(robust.toString());
        try (BlockClassifier source = SavedModel.load(robust);
                BlockClassifier trained = SavedModel.load(target)) {
            List<float[]> given = spartaValues(source);
            List<float[]> kept = spartaValues(trained);
            assertThat(kept).hasSize(6).hasSameSizeAs(given);
            // a fresh Sparta filter is 0 but for centre taps of 1: the source's was trained
            assertThat(given.get(0)).as("the source's first filter")
                    .matches(filter -> IntStream.range(0, filter.length)
                            .anyMatch(i -> filter[i] != 0f && filter[i] != 1f));
            for (int i = 0; i < kept.size(); i++) {
                assertThat(kept.get(i)).as("Sparta parameter %d", i).containsExactly(given.get(i));
            }
        }
    }

    private static List<float[]> spartaValues(BlockClassifier model) {
        List<float[]> values = new ArrayList<>();
        for (Sparta module : Sparta.findAll(model.block())) {
            module.getParameters().values().forEach(p -> values.add(p.getArray().toFloatArray()));
        }
        return values;
    }

    @Test
    void tisodeTrainsWithNoiseAugmentationAndTheCardRecordsIt(@TempDir Path dir)
            throws IOException {
        Path tisode = train(dir.resolve("tisode"), "--arch", "tisode", "--width", "8",
                "--noise-augment", "--n", "64");
        JsonNode training = card(tisode).get("training");
        assertThat(training.get("noiseAugmentation").asBoolean()).isTrue();
        assertThat(card(plain).get("training").get("noiseAugmentation").asBoolean()).isFalse();
    }

    @Test
    void mistakesAreOneLineErrorsThatSayTheFix(@TempDir Path dir) {
        assertClearError(CliTest.parry("attack", "--model", plain.toString(), "--dataset",
                "synthetic", "--attack", "fgsm", "--eps", "0.1", "--n", "16", "--head-only"),
                "--head-only applies to models with CIFS probes", "--block cifs",
                "drop --head-only");
        assertClearError(CliTest.parry("evaluate", "--model", plain.toString(), "--dataset",
                "synthetic", "--n", "16", "--suite", "fgsm", "--sanity", "off", "--report",
                dir.resolve("report").toString(), "--head-only"),
                "--head-only applies to models with CIFS probes");
        assertClearError(trainInto(dir, "cifs", "--arch", "small-cnn", "--block", "cifs"),
                "architecture 'small-cnn' cannot host a cifs block", "[cnn3]");
        assertClearError(trainInto(dir, "denoise", "--arch", "cnn3", "--denoise", "foo"),
                "unknown --denoise 'foo'", "none or one of", "nonlocal", "nonlocal-embedded",
                "nonlocal-dot", "bilateral", "mean", "median");
        assertClearError(trainInto(dir, "block", "--arch", "cnn3", "--block", "dropblock"),
                "unknown --block 'dropblock'", "none or cifs");
        assertClearError(trainInto(dir, "from", "--arch", "cnn3", "--width", "4", "--activation",
                "sparta", "--sparta-from", plain.toString()),
                "--sparta-from " + plain, "no Sparta modules", "--activation sparta");
        assertClearError(trainInto(dir, "missing", "--arch", "cnn3", "--width", "4",
                "--activation", "sparta", "--sparta-from", dir.resolve("nope").toString()),
                "nope", "parry train");
        assertClearError(trainInto(dir, "into", "--arch", "cnn3", "--width", "4", "--sparta-from",
                robust.toString()),
                "the network being trained has no Sparta modules", "--activation sparta");
    }

    private static Run trainInto(Path dir, String name, String... options) {
        List<String> args = new ArrayList<>(List.of("train", "--dataset", "synthetic", "--n", "64",
                "--out", dir.resolve(name).toString()));
        args.addAll(List.of(options));
        return CliTest.parry(args.toArray(String[]::new));
    }
}
