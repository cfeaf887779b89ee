package org.parry.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.eval.AttackOutcome;
import org.parry.eval.EvaluationListener;
import org.parry.eval.EvaluationReport;
import org.parry.eval.EvaluationSettings;
import org.parry.eval.Provenance;
import org.parry.eval.SanityCheck;
import org.parry.eval.SanityLevel;
import org.parry.eval.Suite;
import org.parry.norm.Norm;
import org.parry.testing.TestModels;

/** Evaluate, check and report in one call, as {@code parry evaluate} runs it. */
class EvaluationJobTest {

    @Test
    void oneCallWritesTheReportAndResumesToTheSameNumbers(@TempDir Path dir) throws IOException {
        Path model = Files.writeString(dir.resolve("model.bin"), "weights");
        Path report = dir.resolve("report");
        EvaluationJob job = new EvaluationJob(TestModels.syntheticCnn(), model,
                TestModels.syntheticTest().first(32),
                new EvaluationSettings(Suite.parse("fgsm"), Norm.LINF, new float[] {0.3f}, 1, 16),
                report, SanityLevel.OFF);
        List<String> heard = new ArrayList<>();
        EvaluationReport first = job.run(false, new EvaluationListener() {
            @Override
            public void onAttackEnd(AttackOutcome outcome) {
                heard.add(outcome.name());
            }

            @Override
            public void onSanityChecks(SanityLevel level) {
                heard.add("checks " + level.id());
            }
        });
        assertThat(heard).containsExactly("fgsm");
        assertThat(first.n()).isEqualTo(32);
        assertThat(first.sanityChecks()).extracting(SanityCheck::status).containsOnly(
                SanityCheck.Status.SKIP);
        assertThat(first.provenance().modelSha256()).isEqualTo(Provenance.sha256(model));
        assertThat(ReportWriter.holdsReport(report)).isTrue();

        assertThatThrownBy(() -> EvaluationJob.checkDirectory(report, false, false))
                .hasMessageContaining("holds another evaluation");
        assertThatThrownBy(() -> EvaluationJob.checkDirectory(report, true, true))
                .hasMessageContaining("choose one");
        EvaluationJob.checkDirectory(report, true, false);
        EvaluationReport resumed = job.run(true, EvaluationListener.NONE);
        assertThat(resumed.robustAccuracy()).containsExactly(first.robustAccuracy());
    }
}
