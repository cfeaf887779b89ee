package org.parry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parry.cli.CliTest.parry;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.model.SavedModel;

/** {@code parry doctor}: the engine facts and the self-test, as a user runs them. */
class DoctorCommandTest {

    @Test
    void printsTheEngineAndPassesTheSelfTest(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("doctor.json");
        CliTest.Run run = parry("doctor", "--json", json.toString());

        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("libtorch:", "onednn:", "cpu:", "threads:", "self_test:",
                "libtorch's default kernels (oneDNN in forward and backward passes)",
                "backward passes bypassing oneDNN (libtorch's own kernels): PASS",
                "conv 1->6 28x28 k5 s1 p0 N=16 input gradient, float32 vs float64",
                "Parry computes gradients here", ": PASS");
        assertThat(run.err()).doesNotContain("NNPACK", "CUDA");
        JsonNode doctor = SavedModel.json().readTree(json.toFile());
        assertThat(doctor.get("libtorch").asText()).isEqualTo("2.7.1");
        assertThat(doctor.get("passed").asBoolean()).isTrue();
        assertThat(doctor.get("checks_default")).hasSize(38);
        JsonNode used = doctor.get("parry_computes_gradients").asText().startsWith("bypassing")
                ? doctor.get("checks_bypass") : doctor.get("checks_default");
        assertThat(used).hasSize(38);
        for (JsonNode check : used) {
            assertThat(check.get("passed").asBoolean()).as(check.toString()).isTrue();
            assertThat(check.get("error").asDouble()).isLessThan(check.get("limit").asDouble());
        }
    }

    @Test
    void infoShowsTheSameEngineFacts() {
        CliTest.Run run = parry("info", "--dataset", "synthetic");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("engine:", "onednn=", "self_test=passed");
    }
}
