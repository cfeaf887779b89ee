package org.parry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.model.SavedModel;

/** {@code parry evaluate --sanity}: the level reaches the report and the console. */
class EvaluateSanityTest {

    @TempDir
    static Path shared;
    static Path model;

    @BeforeAll
    static void trainModel() {
        model = CliTest.trainedMlp(shared.resolve("model"), "--width", "32", "--epochs", "1");
    }

    private static CliTest.Run evaluate(Path report, String sanity) {
        return CliTest.parry("evaluate", "--model", model.toString(), "--dataset", "synthetic",
                "--n", "30", "--suite", "fgsm", "--eps", "0.05", "--sanity", sanity,
                "--report", report.toString());
    }

    @Test
    void offSkipsEveryCheckAndSaysSo(@TempDir Path dir) throws IOException {
        CliTest.Run run = evaluate(dir, "off");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode checks = SavedModel.json().readTree(dir.resolve("report.json").toFile())
                .get("sanity_checks");
        assertThat(checks).hasSize(12);
        for (JsonNode check : checks) {
            assertThat(check.get("status").asText()).as(check.toString()).isEqualTo("SKIP");
            assertThat(check.get("explanation").asText()).contains("--sanity off");
        }
        assertThat(run.out()).contains("SKIP").contains("minimum-norm").contains("--sanity off");
    }

    @Test
    void quickRunsEveryCheckOnAProbeNoLargerThanTheEvaluation(@TempDir Path dir) throws IOException {
        CliTest.Run run = evaluate(dir, "quick");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode checks = SavedModel.json().readTree(dir.resolve("report.json").toFile())
                .get("sanity_checks");
        assertThat(checks).hasSize(12);
        for (JsonNode check : checks) {
            assertThat(check.get("status").asText()).as(check.toString()).isNotEqualTo("SKIP");
            assertThat(check.get("seconds").asDouble()).as(check.toString()).isGreaterThan(0);
        }
        // 30 evaluated points: the probe is the clean-correct ones among them, never 50.
        String iterative = checks.get(5).get("explanation").asText();
        assertThat(checks.get(5).get("id").asText()).isEqualTo("iterative-vs-single-step");
        int probe = Integer.parseInt(iterative.replaceAll(".*probe of (\\d+):.*", "$1"));
        assertThat(probe).isBetween(1, 30);
        assertThat(run.err()).contains("running the sanity checks (quick)");
    }

    @Test
    void anUnknownLevelIsOneLineWithTheChoices(@TempDir Path dir) {
        CliTest.Run run = evaluate(dir, "some");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("unknown sanity level 'some'; choose full, quick or off");
    }
}
