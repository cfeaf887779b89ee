package org.parry.spark;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.cli.ParryCommand;
import org.parry.model.SavedModel;

/**
 * {@code parry leaderboard --master local[2]} as typed, with parry-spark on the class path: the
 * provider is found through ServiceLoader and the board's numbers are those of the local board.
 */
class SparkLeaderboardTest {

    @Test
    void theSparkBoardEqualsTheLocalOne(@TempDir Path dir) throws IOException {
        Path zoo = dir.resolve("zoo");
        assertThat(ParryCommand.run("train", "--dataset", "synthetic", "--arch", "mlp", "--width",
                "32", "--epochs", "1", "--out", zoo.resolve("mlp").toString())).isZero();
        String[] board = {"leaderboard", "--models", zoo.toString(), "--dataset", "synthetic",
            "--n", "48", "--batch-size", "8", "--suite", "fgsm,pgd", "--eps", "0.1,0.3",
            "--sanity", "off", "--out"};
        assertThat(ParryCommand.run(concat(board, dir.resolve("local").toString()))).isZero();
        assertThat(ParryCommand.run(concat(board, dir.resolve("spark").toString(), "--master",
                "local[2]", "--partitions", "3"))).isZero();
        JsonNode local = SavedModel.json().readTree(dir.resolve("local/leaderboard.json").toFile());
        JsonNode spark = SavedModel.json().readTree(dir.resolve("spark/leaderboard.json").toFile());
        assertThat(spark.get("runner").asText()).startsWith("Spark 4.").contains("local[2]");
        JsonNode row = spark.get("ranked").get(0);
        JsonNode expected = local.get("ranked").get(0);
        for (String field : new String[] {"clean_accuracy", "clean", "robust_accuracy", "robust",
            "model_sha256", "fingerprint"}) {
            assertThat(row.get(field)).as(field).isEqualTo(expected.get(field));
        }
        assertThat(row.get("robust_accuracy").get(1).asDouble())
                .isLessThan(row.get("clean_accuracy").asDouble());
    }

    private static String[] concat(String[] head, String... tail) {
        String[] all = java.util.Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }
}
