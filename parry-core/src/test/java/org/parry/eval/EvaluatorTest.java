package org.parry.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.data.ImageDataset;
import org.parry.norm.Norm;
import org.parry.testing.TestModels;

class EvaluatorTest {

    private static EvaluationSettings settings() {
        Suite suite = new Suite("test", java.util.List.of(SuiteAttack.of("fgsm"),
                new SuiteAttack("pgd", 10, java.util.Map.of())));
        return new EvaluationSettings(suite, Norm.LINF, new float[] {0.15f, 0.3f}, 7, 16);
    }

    private static ImageDataset data() {
        return TestModels.syntheticTest().first(40);
    }

    @Test
    void worstCaseIsMonotoneAcrossAttacksAndEpsilons(@TempDir Path dir) throws IOException {
        Evaluator.Run run = new Evaluator(settings(), EvaluationListener.NONE)
                .run(TestModels.syntheticCnn(), data(), dir, false);
        assertThat(run.results()).hasSize(2);
        for (EpsilonResult result : run.results()) {
            double previous = 1.0;
            for (AttackOutcome outcome : result.attacks()) {
                assertThat(outcome.robustAccuracy()).isLessThanOrEqualTo(previous);
                previous = outcome.robustAccuracy();
                assertThat(outcome.linf().max()).satisfiesAnyOf(
                        m -> assertThat(m).isNaN(),
                        m -> assertThat(m).isLessThanOrEqualTo(result.epsilon() + 1e-6));
            }
            assertThat(result.robustAccuracy()).isEqualTo(previous);
            long confusionTotal = 0;
            for (long[] row : result.confusionUnderAttack()) {
                for (long count : row) {
                    confusionTotal += count;
                }
            }
            assertThat(confusionTotal).isEqualTo(run.worstCases().get(0).cleanCorrectCount());
        }
        assertThat(run.results().get(1).robustAccuracy())
                .isLessThanOrEqualTo(run.results().get(0).robustAccuracy());
        // Each later attack only ran on what the earlier ones left.
        EpsilonResult first = run.results().get(0);
        assertThat(first.attacks().get(1).attacked())
                .isEqualTo(first.attacks().get(0).attacked() - first.attacks().get(0).broken());
    }

    @Test
    void resumeAfterAKillGivesTheSameNumbers(@TempDir Path dir) throws IOException {
        Evaluator.Run uninterrupted = new Evaluator(settings(), EvaluationListener.NONE)
                .run(TestModels.syntheticCnn(), data(), dir.resolve("a"), false);
        EvaluationListener killedDuringPgd = new EvaluationListener() {
            private int batches;

            @Override
            public void onBatch(String attack, int done, int broken) {
                if (attack.equals("pgd") && ++batches == 2) {
                    throw new IllegalStateException("killed");
                }
            }
        };
        assertThatThrownBy(() -> new Evaluator(settings(), killedDuringPgd)
                .run(TestModels.syntheticCnn(), data(), dir.resolve("b"), false)).hasMessage("killed");
        Evaluator.Run resumed = new Evaluator(settings(), EvaluationListener.NONE)
                .run(TestModels.syntheticCnn(), data(), dir.resolve("b"), true);
        for (int e = 0; e < 2; e++) {
            EpsilonResult a = uninterrupted.results().get(e);
            EpsilonResult b = resumed.results().get(e);
            assertThat(b.robustAccuracy()).isEqualTo(a.robustAccuracy());
            for (int i = 0; i < a.attacks().size(); i++) {
                assertThat(b.attacks().get(i).broken()).isEqualTo(a.attacks().get(i).broken());
                assertThat(b.attacks().get(i).l2()).isEqualTo(a.attacks().get(i).l2());
            }
            for (int i = 0; i < data().size(); i++) {
                assertThat(resumed.worstCases().get(e).adversarial(i))
                        .isEqualTo(uninterrupted.worstCases().get(e).adversarial(i));
            }
        }
        assertThat(resumed.hypocritical()).isEqualTo(uninterrupted.hypocritical());
    }

    /** A kill mid-write leaves half a line; two resumes in a row still replay every unit. */
    @Test
    void aTornLastLineIsCutOffOnResume(@TempDir Path dir) throws IOException {
        Evaluator.Run complete = new Evaluator(settings(), EvaluationListener.NONE)
                .run(TestModels.syntheticCnn(), data(), dir, false);
        Path file = dir.resolve(Journal.FILE);
        java.util.List<String> lines = java.nio.file.Files.readAllLines(file);
        String last = lines.get(lines.size() - 1);
        java.util.List<String> torn = new java.util.ArrayList<>(lines.subList(0, lines.size() - 1));
        java.nio.file.Files.write(file, torn);
        java.nio.file.Files.writeString(file, last.substring(0, last.length() / 2),
                java.nio.file.StandardOpenOption.APPEND);

        Evaluator.Run resumed = new Evaluator(settings(), EvaluationListener.NONE)
                .run(TestModels.syntheticCnn(), data(), dir, true);
        assertThat(java.nio.file.Files.readAllLines(file)).as("the torn unit redone on a line of"
                + " its own").hasSize(lines.size());
        Evaluator.Run again = new Evaluator(settings(), EvaluationListener.NONE)
                .run(TestModels.syntheticCnn(), data(), dir, true);
        assertThat(java.nio.file.Files.readAllLines(file)).as("nothing redone by a second resume")
                .hasSize(lines.size());
        for (Evaluator.Run run : java.util.List.of(resumed, again)) {
            for (int e = 0; e < 2; e++) {
                assertThat(run.results().get(e).robustAccuracy())
                        .isEqualTo(complete.results().get(e).robustAccuracy());
            }
        }
    }

    @Test
    void resumingWithOtherSettingsIsRefused(@TempDir Path dir) throws IOException {
        new Evaluator(settings(), EvaluationListener.NONE).run(TestModels.syntheticCnn(), data(), dir, false);
        EvaluationSettings other = new EvaluationSettings(Suite.parse("fgsm"), Norm.LINF,
                new float[] {0.15f}, 7, 16);
        assertThatThrownBy(() -> new Evaluator(other, EvaluationListener.NONE)
                .run(TestModels.syntheticCnn(), data(), dir, true))
                .hasMessageContaining("other settings");
    }

    @Test
    void settingsAreValidated() {
        assertThatThrownBy(() -> new EvaluationSettings(Suite.parse("fgsm"), Norm.LINF,
                new float[] {0.3f, 0.1f}, 0, 16)).hasMessageContaining("strictly increasing");
        assertThatThrownBy(() -> Suite.parse("fgsm,nope")).hasMessageContaining("unknown attack 'nope'");
    }
}
