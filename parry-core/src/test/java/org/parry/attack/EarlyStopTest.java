package org.parry.attack;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.model.BlockClassifier;
import org.parry.norm.Norm;
import org.parry.testing.TestModels;

/**
 * PGD and BIM stop per sample at the first adversarial iterate by default; with {@code
 * earlyStop=false} they spend their whole budget and return the last iterate, which lies further
 * out in the ball (the examples transfer and physical-world attacks want).
 */
class EarlyStopTest {

    private static final int N = 64;
    private static final int STEPS = 10;

    @Test
    void withoutEarlyStopEverySampleRunsEveryStepAndEndsFurtherOut() {
        BlockClassifier model = TestModels.syntheticCnn();
        float epsilon = 0.2f;
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = TestModels.syntheticTest().batch(manager, 0, N);
            Misclassification criterion = new Misclassification(batch.y());
            for (String name : new String[] {"pgd", "bim"}) {
                AttackResult early = AttackRegistry.create(name, new AttackOptions(Norm.LINF,
                        epsilon, STEPS, 3, Map.of())).run(model, batch.x(), criterion);
                Attack attack = AttackRegistry.create(name, new AttackOptions(Norm.LINF, epsilon,
                        STEPS, 3, Map.of("earlyStop", "false")));
                assertThat(attack.settings()).containsEntry("earlyStop", false);
                AttackResult full = attack.run(model, batch.x(), criterion);
                assertThat(early.gradients()).as(name).isLessThan((long) N * STEPS);
                assertThat(full.gradients()).as(name).isEqualTo((long) N * STEPS);
                double earlyL2 = 0;
                double fullL2 = 0;
                for (int i = 0; i < N; i++) {
                    assertThat(full.linf()[i]).isLessThanOrEqualTo(epsilon + 1e-6f);
                    earlyL2 += early.l2()[i];
                    fullL2 += full.l2()[i];
                }
                // (L∞ says little: PGD's random start is already at ε in most pixels)
                assertThat(fullL2).as(name + ": L2 of the last iterates against the first"
                        + " adversarial ones").isGreaterThan(earlyL2 * 1.2);
                assertThat(full.successes()).as(name).isGreaterThanOrEqualTo(N / 2);
            }
        }
    }

    @Test
    void transferAttacksRunTheWholeBudgetUnlessTold() {
        AttackOptions plain = new AttackOptions(Norm.LINF, 0.1f, 10, 0, Map.of());
        assertThat(AttackRegistry.createForTransfer("bim", plain).settings())
                .containsEntry("earlyStop", false);
        assertThat(AttackRegistry.createForTransfer("pgd", plain).settings())
                .containsEntry("earlyStop", false);
        assertThat(AttackRegistry.createForTransfer("pgd", new AttackOptions(Norm.LINF, 0.1f, 10,
                0, Map.of("earlyStop", "true"))).settings()).containsEntry("earlyStop", true);
        assertThat(AttackRegistry.createForTransfer("fgsm", new AttackOptions(Norm.LINF, 0.1f,
                null, 0, Map.of())).settings()).doesNotContainKey("earlyStop");
        assertThat(AttackRegistry.create("bim", plain).settings()).containsEntry("earlyStop", true);
    }
}
