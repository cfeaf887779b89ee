package org.parry.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.attack.Attack;
import org.parry.attack.AttackResult;
import org.parry.attack.CountingClassifier;
import org.parry.criterion.Criterion;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.model.Classifier;
import org.parry.norm.Norm;
import org.parry.testing.TestModels;

class EvaluatorTest {

    private static EvaluationSettings settings() {
        Suite suite = new Suite("test", java.util.List.of(SuiteAttack.of("fgsm"),
                SuiteAttack.of("pgd", 10, java.util.Map.of())));
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

    /**
     * An attack of one's own, as a user would write it: every pixel brightened by ε, finished by
     * {@link AttackResult#bounded} like the built-in attacks.
     */
    record Brighten(float epsilon) implements Attack {

        @Override
        public String name() {
            return "brighten";
        }

        @Override
        public Map<String, Object> settings() {
            return Map.of("norm", "linf", "epsilon", epsilon);
        }

        @Override
        public AttackResult run(Classifier model, NDArray x, Criterion criterion) {
            long start = System.nanoTime();
            return AttackResult.bounded(new CountingClassifier(model), x, x.add(epsilon), criterion,
                    Norm.LINF, epsilon, start);
        }
    }

    /** Clean-correct and still correct at clip(x + ε): what {@link Brighten} leaves robust. */
    private static int robustToBrightening(ImageDataset data, float epsilon) {
        Classifier model = TestModels.syntheticCnn();
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = data.batch(manager, 0, data.size());
            int[] labels = batch.y().toType(DataType.INT32, false).toIntArray();
            int[] clean = model.logits(batch.x()).argMax(1).toType(DataType.INT32, false)
                    .toIntArray();
            int[] bright = model.logits(batch.x().add(epsilon).clip(0f, 1f)).argMax(1)
                    .toType(DataType.INT32, false).toIntArray();
            int robust = 0;
            for (int i = 0; i < labels.length; i++) {
                robust += clean[i] == labels[i] && bright[i] == labels[i] ? 1 : 0;
            }
            return robust;
        }
    }

    @Test
    void anAttackOfOnesOwnIsEvaluatedAndReported(@TempDir Path dir) throws IOException {
        float[] epsilons = {0.3f, 0.6f};
        Suite suite = new Suite("mine", List.of(SuiteAttack.of("brighten",
                (norm, epsilon, seed) -> new Brighten(epsilon))));
        EvaluationSettings settings = new EvaluationSettings(suite, Norm.LINF, epsilons, 7, 16);
        Evaluator.Run run = new Evaluator(settings, EvaluationListener.NONE)
                .run(TestModels.syntheticCnn(), data(), dir, false);
        boolean someBroken = false;
        for (int e = 0; e < epsilons.length; e++) {
            EpsilonResult result = run.results().get(e);
            int expected = robustToBrightening(data(), epsilons[e]);
            assertThat(result.robust()).as("robust at ε=%s", epsilons[e]).isEqualTo(expected);
            assertThat(result.robustAccuracy()).isEqualTo((double) expected / data().size());
            AttackOutcome outcome = result.attacks().get(0);
            assertThat(outcome.name()).isEqualTo("brighten");
            assertThat(outcome.settings()).containsEntry("epsilon", epsilons[e]);
            assertThat(outcome.broken()).isEqualTo(outcome.attacked() - expected);
            someBroken |= outcome.broken() > 0;
        }
        assertThat(someBroken).as("brightening breaks some samples at ε=0.6").isTrue();

        // One instance serves at its own ε, and is refused at another.
        EvaluationSettings single = new EvaluationSettings(new Suite("mine",
                List.of(SuiteAttack.of(new Brighten(0.3f)))), Norm.LINF, new float[] {0.3f}, 7, 16);
        Evaluator.Run again = new Evaluator(single, EvaluationListener.NONE)
                .run(TestModels.syntheticCnn(), data(), dir.resolve("single"), false);
        assertThat(again.results().get(0).robust()).isEqualTo(run.results().get(0).robust());
        assertThatThrownBy(() -> new EvaluationSettings(new Suite("mine",
                List.of(SuiteAttack.of(new Brighten(0.3f)))), Norm.LINF, new float[] {0.6f}, 7, 16)
                .fingerprint()).hasMessageContaining("attack 'brighten' was made for linf ε=0.3 but"
                        + " the evaluation runs linf ε=0.6");
    }

    /** The journal fingerprints an attack's settings: other settings, other numbers, no resume. */
    @Test
    void resumingAfterTheAttacksSettingsChangedIsRefused(@TempDir Path dir) throws IOException {
        EvaluationSettings pgd10 = settings();
        new Evaluator(pgd10, EvaluationListener.NONE).run(TestModels.syntheticCnn(), data(), dir,
                false);
        EvaluationSettings pgd10TwoRestarts = new EvaluationSettings(new Suite("test", List.of(
                SuiteAttack.of("fgsm"), SuiteAttack.of("pgd", 10, Map.of("restarts", "2")))),
                Norm.LINF, new float[] {0.15f, 0.3f}, 7, 16);
        assertThat(pgd10TwoRestarts.fingerprint()).isNotEqualTo(pgd10.fingerprint());
        assertThat(settings().fingerprint()).as("stable").isEqualTo(pgd10.fingerprint());
        assertThatThrownBy(() -> new Evaluator(pgd10TwoRestarts, EvaluationListener.NONE)
                .run(TestModels.syntheticCnn(), data(), dir, true))
                .hasMessageContaining("other settings");
        EvaluationSettings brighter = new EvaluationSettings(new Suite("mine", List.of(
                SuiteAttack.of("brighten", (norm, epsilon, seed) -> new Brighten(epsilon)))),
                Norm.LINF, new float[] {0.15f, 0.3f}, 7, 16);
        EvaluationSettings brighterTwice = new EvaluationSettings(new Suite("mine", List.of(
                SuiteAttack.of("brighten", (norm, epsilon, seed) -> new Brighten(2 * epsilon)))),
                Norm.LINF, new float[] {0.15f, 0.3f}, 7, 16);
        assertThat(brighterTwice.fingerprint()).isNotEqualTo(brighter.fingerprint());
    }

    @Test
    void settingsAreValidated() {
        assertThatThrownBy(() -> new EvaluationSettings(Suite.parse("fgsm"), Norm.LINF,
                new float[] {0.3f, 0.1f}, 0, 16)).hasMessageContaining("strictly increasing");
        assertThatThrownBy(() -> Suite.parse("fgsm,nope")).hasMessageContaining("unknown attack 'nope'");
    }
}
