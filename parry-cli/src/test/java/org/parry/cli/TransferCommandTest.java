package org.parry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parry.cli.TorchScriptCommandTest.assertClearError;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.model.BlockClassifier;
import org.parry.model.ModelCard;
import org.parry.model.Normalization;
import org.parry.model.SavedModel;

/**
 * The transfer commands through the command line: {@code attack --source} (one source, an
 * ensemble, a query-only target), {@code substitute} (table, saved model usable as a source) and
 * {@code transfer} (table, JSON, heat map), and their one-line errors for sources of another task.
 */
class TransferCommandTest {

    @TempDir
    static Path shared;
    static Path first;
    static Path second;
    static Path moreClasses;
    static Path smallImages;

    @BeforeAll
    static void trainModels() throws IOException {
        first = CliTest.trainedMlp(shared.resolve("first"), "--width", "32", "--seed", "1");
        second = CliTest.trainedMlp(shared.resolve("second"), "--width", "32", "--seed", "2");
        moreClasses = untrained(shared.resolve("twelve-classes"), new int[] {1, 28, 28}, 12);
        smallImages = untrained(shared.resolve("small-images"), new int[] {1, 14, 14}, 10);
    }

    /** A freshly initialized mlp of another task, saved as a Parry model. */
    private static Path untrained(Path dir, int[] shape, int classes) throws IOException {
        List<String> names = java.util.stream.IntStream.range(0, classes)
                .mapToObj(c -> "class-" + c).toList();
        ModelCard card = new ModelCard(ModelCard.FORMAT, "mlp", 16, "relu", 1, shape, names,
                Normalization.identity(shape[0]), "other", null, null, null, 0, "test", null);
        try (BlockClassifier model = SavedModel.create(card, 0)) {
            SavedModel.save(dir, model, card);
        }
        return dir;
    }

    private static CliTest.Run attack(Path json, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("attack", "--dataset", "synthetic",
                "--n", "100", "--model", first.toString(), "--attack", "fgsm", "--eps", "0.25",
                "--json", json.toString()));
        args.addAll(List.of(more));
        return CliTest.parry(args.toArray(String[]::new));
    }

    @Test
    void attackFromASourceJudgesOnTheModel(@TempDir Path dir) throws IOException {
        CliTest.Run whiteBox = attack(dir.resolve("white.json"));
        CliTest.Run transfer = attack(dir.resolve("transfer.json"), "--source", second.toString(),
                "--black-box");
        assertThat(transfer.exitCode()).as(transfer.err()).isZero();
        assertThat(transfer.out()).contains("transfer from " + second)
                .contains("attack transfer-fgsm").contains("sources=[mlp]");
        JsonNode white = SavedModel.json().readTree(dir.resolve("white.json").toFile());
        JsonNode moved = SavedModel.json().readTree(dir.resolve("transfer.json").toFile());
        assertThat(moved.get("attack").get("name").asText()).isEqualTo("transfer-fgsm");
        assertThat(moved.get("black_box").asBoolean()).isTrue();
        assertThat(moved.get("robust_accuracy").asDouble())
                .isGreaterThanOrEqualTo(white.get("robust_accuracy").asDouble())
                .isLessThan(moved.get("clean_accuracy").asDouble());

        CliTest.Run ensemble = attack(dir.resolve("ensemble.json"), "--source", second.toString(),
                "--source", first.toString());
        assertThat(ensemble.exitCode()).as(ensemble.err()).isZero();
        assertThat(ensemble.out()).contains("transfer from " + second + ", " + first)
                .contains("ensemble=logits");
    }

    @Test
    void aSourceOfAnotherTaskIsAClearError(@TempDir Path dir) {
        assertClearError(attack(dir.resolve("a.json"), "--source", moreClasses.toString()),
                "source model 'mlp'", "12 classes", "10 classes", "same task");
        assertClearError(attack(dir.resolve("b.json"), "--source", smallImages.toString()),
                "(1, 14, 14)", "(1, 28, 28)");
    }

    @Test
    void substituteTrainsFromLabelsAndServesAsASource(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("substitute");
        CliTest.Run run = CliTest.parry("substitute", "--model", first.toString(), "--dataset",
                "synthetic", "--out", out.toString(), "--rounds", "3", "--epochs", "3",
                "--seed-size", "20", "--held-out", "100", "--arch", "mlp", "--width", "32",
                "--json", dir.resolve("substitute.json").toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("round").contains("agreement").contains("saved to " + out)
                .contains("parry attack --source");
        JsonNode results = SavedModel.json().readTree(dir.resolve("substitute.json").toFile());
        JsonNode rounds = results.get("rounds");
        assertThat(rounds).hasSize(3);
        assertThat(results.get("queries").asLong())
                .isEqualTo(rounds.get(2).get("setSize").asLong());
        JsonNode card = SavedModel.json().readTree(out.resolve(SavedModel.CARD_FILE).toFile());
        JsonNode substitute = card.get("training").get("substitute");
        assertThat(substitute.get("oracle").asText()).isEqualTo("mlp");
        assertThat(substitute.get("rounds").asInt()).isEqualTo(3);
        assertThat(substitute.get("queries").asLong()).isEqualTo(results.get("queries").asLong());

        CliTest.Run transfer = attack(dir.resolve("from-substitute.json"), "--source",
                out.toString(), "--black-box");
        assertThat(transfer.exitCode()).as(transfer.err()).isZero();
        assertThat(transfer.out()).contains("transfer from " + out);

        assertClearError(CliTest.parry("substitute", "--model", first.toString(), "--dataset",
                "synthetic", "--out", dir.resolve("x").toString(), "--seed-size", "400",
                "--held-out", "200"), "--seed-size 400 plus --held-out 200", "500");
        assertClearError(CliTest.parry("substitute", "--model", first.toString(), "--dataset",
                "synthetic", "--out", out.toString()), "holds a model", "--overwrite");
    }

    @Test
    void transferMatrixIsPrintedAndWritten(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("matrix");
        CliTest.Run run = CliTest.parry("transfer", "--dataset", "synthetic", "--n", "60",
                "--models", first + "," + second, "--attack", "fgsm,rand-fgsm", "--eps", "0.25",
                "--out", out.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("source\\target").contains("*").contains("worst b-box")
                .contains("worst black-box on first").contains("worst black-box on second");
        JsonNode json = SavedModel.json().readTree(out.resolve("transfer.json").toFile());
        assertThat(json.get("models")).hasSize(2);
        assertThat(json.get("attacks")).hasSize(2);
        JsonNode cells = json.get("attacks").get(0).get("error_rate_source_by_target");
        assertThat(json.get("worst_black_box").get(0).get("errorRate").asDouble())
                .isGreaterThanOrEqualTo(cells.get(1).get(0).asDouble());
        assertThat(cells.get(0).get(0).asDouble()).as("white-box beats transfer")
                .isGreaterThanOrEqualTo(cells.get(1).get(0).asDouble());
        byte[] png = Files.readAllBytes(out.resolve("transfer.png"));
        assertThat(png).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');

        CliTest.Run again = CliTest.parry("transfer", "--dataset", "synthetic", "--n", "60",
                "--models", first + "," + second, "--eps", "0.25", "--out", out.toString());
        assertClearError(again, "transfer.json", "--overwrite");
        assertClearError(CliTest.parry("transfer", "--dataset", "synthetic", "--n", "20",
                "--models", first + "," + moreClasses, "--eps", "0.25", "--out",
                dir.resolve("bad").toString()), "model 'mlp'", "12 classes", "10 classes");
        assertClearError(CliTest.parry("transfer", "--dataset", "synthetic", "--n", "20",
                "--models", first.toString(), "--eps", "0.25", "--out",
                dir.resolve("one").toString()), "at least two models");
        assertClearError(CliTest.parry("transfer", "--dataset", "synthetic", "--n", "20",
                "--models", first + "," + second, "--eps", "0.25", "pgd.steps=3", "--out",
                dir.resolve("stray").toString()), "pgd.steps=3", "none of the attacks");
    }
}
