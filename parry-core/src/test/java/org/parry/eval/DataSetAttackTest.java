package org.parry.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.parry.attack.AttackResult;
import org.parry.attack.Fgsm;
import org.parry.attack.Pgd;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.model.Classifier;
import org.parry.norm.Norm;
import org.parry.testing.TestModels;

/** One attack over a data set: batches, targets and the tally's metrics. */
class DataSetAttackTest {

    private static final int N = 40;

    private static ImageDataset data() {
        return TestModels.syntheticTest().first(N);
    }

    /** The tally holds what the attack does batch by batch, and its metrics add up. */
    @Test
    void theTallyIsWhatTheAttackDoesBatchByBatch() {
        Classifier model = TestModels.syntheticCnn();
        List<Integer> done = new ArrayList<>();
        AttackTally tally = new DataSetAttack(Fgsm.of(0.3f), null, 16, 0, true)
                .run(model, data(), (count, rate) -> done.add(count));
        assertThat(done).containsExactly(16, 32, 40);
        assertThat(tally.size()).isEqualTo(N);
        assertThat(tally.targeted()).isFalse();
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int from = 0; from < N; from += 16) {
                Batch batch = data().batch(manager, from, Math.min(N, from + 16));
                AttackResult direct = Fgsm.of(0.3f).run(model, batch.x(),
                        new Misclassification(batch.y()));
                for (int row = 0; row < batch.size(); row++) {
                    assertThat(tally.adversarialPredictions()[from + row])
                            .isEqualTo(direct.predictions()[row]);
                    assertThat(tally.linf()[from + row]).isEqualTo(direct.linf()[row]);
                }
            }
        }
        int[] labels = data().labels();
        int cleanCorrect = 0;
        int robust = 0;
        for (int i = 0; i < N; i++) {
            boolean correct = tally.cleanPredictions()[i] == labels[i];
            boolean stillCorrect = tally.adversarialPredictions()[i] == labels[i];
            cleanCorrect += correct ? 1 : 0;
            robust += correct && stillCorrect ? 1 : 0;
            assertThat(tally.success()[i]).isEqualTo(correct && !stillCorrect);
        }
        assertThat(tally.cleanCorrect()).isEqualTo(cleanCorrect);
        assertThat(tally.robust()).isEqualTo(robust);
        assertThat(tally.successDenominator()).isEqualTo(cleanCorrect);
        assertThat(tally.successes()).isEqualTo(cleanCorrect - robust).isPositive();
        assertThat(tally.robustAccuracy()).isEqualTo((double) robust / N);
        assertThat(tally.robustAccuracyStderr()).isCloseTo(
                Math.sqrt(tally.robustAccuracy() * (1 - tally.robustAccuracy()) / N), within(1e-15));
        assertThat(tally.successRate()).isEqualTo((double) tally.successes() / cleanCorrect);
        PerturbationStats linf = tally.overSuccesses(tally.linf());
        assertThat(linf.count()).isEqualTo(tally.successes());
        assertThat(linf.max()).isLessThanOrEqualTo(0.3 + 1e-6);
        assertThat(tally.meanAdversarialConfidence()).isBetween(0.1, 1.0);
        assertThat(tally.gradients()).isEqualTo(N);
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThat(tally.clean()).containsExactly(data().batch(manager, 0, N).x().toFloatArray());
        }
        assertThat(new DataSetAttack(Fgsm.of(0.3f), null, 16, 0, false)
                .run(model, data(), DataSetAttack.Listener.NONE).adversarial()).isNull();
    }

    @Test
    void targetsFollowTheirMode() {
        Classifier model = TestModels.syntheticCnn();
        Pgd pgd = Pgd.builder(Norm.LINF, 0.5f).optSteps(5).build();
        int[] labels = data().labels();

        AttackTally next = new DataSetAttack(pgd, TargetMode.NEXT, 16, 0, false)
                .run(model, data(), DataSetAttack.Listener.NONE);
        AttackTally random = new DataSetAttack(pgd, TargetMode.RANDOM, 16, 5, false)
                .run(model, data(), DataSetAttack.Listener.NONE);
        AttackTally leastLikely = new DataSetAttack(pgd, TargetMode.LEAST_LIKELY, 16, 0, false)
                .run(model, data(), DataSetAttack.Listener.NONE);
        int[] lowest;
        try (NDManager manager = NDManager.newBaseManager()) {
            lowest = model.logits(data().batch(manager, 0, N).x()).argMin(1)
                    .toType(DataType.INT32, false).toIntArray();
        }
        for (int i = 0; i < N; i++) {
            assertThat(next.targets()[i]).isEqualTo((labels[i] + 1) % 10);
            assertThat(random.targets()[i]).isNotEqualTo(labels[i]).isBetween(0, 9);
            assertThat(leastLikely.targets()[i]).isEqualTo(lowest[i]);
            assertThat(next.success()[i]).isEqualTo(
                    next.adversarialPredictions()[i] == next.targets()[i]);
        }
        assertThat(next.successDenominator()).as("next is never the label").isEqualTo(N);
        assertThat(new DataSetAttack(pgd, TargetMode.RANDOM, 16, 5, false)
                .run(model, data(), DataSetAttack.Listener.NONE).targets())
                .as("seeded").containsExactly(random.targets());
    }

    @Test
    void configurationErrorsNameTheField() {
        assertThatThrownBy(() -> new DataSetAttack(Fgsm.of(0.1f), null, 0, 0, false))
                .hasMessage("batch size must be >= 1, got 0");
        assertThatThrownBy(() -> new DataSetAttack(null, null, 16, 0, false))
                .hasMessage("attack");
    }
}
