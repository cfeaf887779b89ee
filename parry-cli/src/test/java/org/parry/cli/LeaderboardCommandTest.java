package org.parry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.cli.CliTest.Run;
import org.parry.model.SavedModel;

/**
 * {@code parry leaderboard} in this process (no Spark on the class path): a Parry model directory
 * and a TorchScript file ranked on one page, a defended model that fails the sanity checks
 * flagged, a rerun that reuses what did not change, and the errors a user meets.
 */
class LeaderboardCommandTest {

    @TempDir
    static Path shared;
    private static Path zoo;

    @BeforeAll
    static void zoo() throws IOException, URISyntaxException {
        zoo = Files.createDirectories(shared.resolve("zoo"));
        CliTest.trainedMlp(zoo.resolve("mlp"), "--width", "32", "--epochs", "1");
        Path fixtures = Paths.get(LeaderboardCommandTest.class
                .getResource("/torchscript/plain_cnn.pt").toURI()).getParent();
        Files.copy(fixtures.resolve("plain_cnn.pt"), zoo.resolve("plain_cnn.pt"));
    }

    private static Run board(Path out, String models, String sanity, String... more) {
        List<String> args = new ArrayList<>(List.of("leaderboard", "--models", models,
                "--dataset", "synthetic", "--n", "40", "--suite", "fgsm,pgd", "--eps", "0.05,0.2",
                "--sanity", sanity, "--out", out.toString()));
        args.addAll(Arrays.asList(more));
        return CliTest.parry(args.toArray(String[]::new));
    }

    @Test
    void ranksAParryModelAndATorchScriptFileAndReusesWhatDidNotChange(@TempDir Path out)
            throws IOException {
        Run first = board(out, zoo.toString(), "off");
        assertThat(first.exitCode()).as(first.err()).isZero();
        JsonNode board = json(out.resolve("leaderboard.json"));
        assertThat(board.get("norm").asText()).isEqualTo("linf");
        assertThat(board.get("n").asInt()).isEqualTo(40);
        assertThat(board.get("runner").asText()).isEqualTo("this process");
        JsonNode ranked = board.get("ranked");
        assertThat(ranked).hasSize(2);
        assertThat(board.get("flagged")).isEmpty();
        List<String> kinds = new ArrayList<>();
        double previous = Double.POSITIVE_INFINITY;
        for (JsonNode row : ranked) {
            kinds.add(row.get("name").asText() + ":" + row.get("kind").asText());
            double clean = row.get("clean_accuracy").asDouble();
            double weak = row.get("robust_accuracy").get(0).asDouble();
            double strong = row.get("robust_accuracy").get(1).asDouble();
            assertThat(strong).isLessThanOrEqualTo(weak).isLessThanOrEqualTo(clean);
            assertThat(strong).isLessThanOrEqualTo(previous); // ranked by the largest ε
            previous = strong;
            assertThat(row.get("clean").get("low").asDouble()).isLessThanOrEqualTo(clean);
            assertThat(row.get("clean").get("high").asDouble()).isGreaterThanOrEqualTo(clean);
            JsonNode interval = row.get("robust").get(1);
            assertThat(interval.get("low").asDouble()).isLessThanOrEqualTo(strong);
            assertThat(interval.get("high").asDouble()).isGreaterThanOrEqualTo(strong)
                    .isGreaterThan(interval.get("low").asDouble());
            assertThat(out.resolve(row.get("report").asText())).isRegularFile();
            assertThat(row.get("verdict").asText()).isEqualTo("skip");
        }
        assertThat(kinds).containsExactlyInAnyOrder("mlp:parry", "plain_cnn:torchscript");
        String page = Files.readString(out.resolve("index.html"));
        assertThat(page).contains("Robustness leaderboard", "L∞", "ε = 0.05, 0.2", "fgsm,pgd",
                "40 test points", "href=\"models/mlp/index.html\"", "plain_cnn", "Wilson")
                .doesNotContain("Flagged");
        List<String> csv = Files.readAllLines(out.resolve("leaderboard.csv"));
        assertThat(csv).hasSize(3);
        assertThat(csv.get(0)).startsWith("rank,name,kind").contains("robust_accuracy@0.2");
        assertThat(csv.get(1)).startsWith("1,");

        // a rerun reuses both; a changed model file (one more byte in its card) is evaluated anew
        long written = Files.getLastModifiedTime(out.resolve("models/mlp/report.json")).toMillis();
        Run again = board(out, zoo.toString(), "off");
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(again.err()).contains("mlp: unchanged, its report is reused",
                "plain_cnn: unchanged, its report is reused");
        assertThat(json(out.resolve("leaderboard.json")).get("ranked")).isEqualTo(ranked);
        Files.writeString(zoo.resolve("mlp/model.json"), "\n", StandardOpenOption.APPEND);
        Run changed = board(out, zoo.toString(), "off");
        assertThat(changed.exitCode()).as(changed.err()).isZero();
        assertThat(changed.err()).contains("mlp: evaluating",
                "plain_cnn: unchanged, its report is reused");
        assertThat(Files.getLastModifiedTime(out.resolve("models/mlp/report.json")).toMillis())
                .isGreaterThanOrEqualTo(written);
        assertThat(json(out.resolve("leaderboard.json")).get("ranked")).hasSize(2);
    }

    @Test
    void aModelThatFailsTheSanityChecksIsFlaggedNotRanked(@TempDir Path dir) throws IOException {
        Path list = Files.writeString(dir.resolve("models.txt"), """
                # the bare network, and the same behind a 2-bit quantizer attacked with autograd
                %s
                %s --name mlp-bit-depth --defense bit-depth:bits=2 --gradients exact
                """.formatted(zoo.resolve("mlp"), zoo.resolve("mlp")));
        Path out = dir.resolve("board");
        Run run = board(out, list.toString(), "quick");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode board = json(out.resolve("leaderboard.json"));
        assertThat(board.get("ranked")).extracting(row -> row.get("name").asText())
                .containsExactly("mlp");
        JsonNode flagged = board.get("flagged");
        assertThat(flagged).hasSize(1);
        assertThat(flagged.get(0).get("name").asText()).isEqualTo("mlp-bit-depth");
        assertThat(flagged.get(0).get("verdict").asText()).isEqualTo("fail");
        assertThat(flagged.get(0).get("failed")).isNotEmpty();
        assertThat(flagged.get(0).get("defense").asText()).contains("bit-depth:bits=2", "exact");
        assertThat(Files.readString(out.resolve("index.html"))).contains("Flagged",
                "mlp-bit-depth", flagged.get(0).get("failed").get(0).asText());
        assertThat(run.out()).contains("flagged");
    }

    @Test
    void clearErrors(@TempDir Path dir) throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        TorchScriptCommandTest.assertClearError(board(dir.resolve("a"), empty.toString(), "off"),
                "holds no models");
        Path mixed = Files.createDirectories(dir.resolve("mixed"));
        Files.writeString(mixed.resolve("notes.md"), "not a model");
        TorchScriptCommandTest.assertClearError(board(dir.resolve("b"), mixed.toString(), "off"),
                "notes.md", "unknown model kind", ".pt");
        TorchScriptCommandTest.assertClearError(board(dir.resolve("c"), zoo.toString(), "off",
                "--master", "spark:/nowhere"), "is not a Spark master URL", "local[N]");
        TorchScriptCommandTest.assertClearError(board(dir.resolve("d"), zoo.toString(), "off",
                "--master", "local[2]"), "needs parry-spark on the class path", "mvn -pl parry-spark");
    }

    private static JsonNode json(Path file) throws IOException {
        return SavedModel.json().readTree(file.toFile());
    }
}
