package org.parry.attack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.model.BlockClassifier;
import org.parry.model.Classifier;
import org.parry.norm.Norm;
import org.parry.testing.SyntheticModels;
import org.parry.testing.TestModels;

/**
 * MI-FGSM: feasible in L∞ and L2, exactly BIM at μ = 0, momentum changes the path, accuracy drops
 * white-box and when transferred from an ensemble of two independently trained sources.
 */
class MiFgsmTest {

    private static final int N = 200;

    private static double accuracy(AttackResult result, Batch batch) {
        int[] labels = batch.y().toIntArray();
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            correct += result.predictions()[i] == labels[i] ? 1 : 0;
        }
        return (double) correct / labels.length;
    }

    @Test
    void pointsStayInTheBallAndAccuracyDrops() {
        BlockClassifier model = TestModels.syntheticCnn();
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = TestModels.syntheticTest().batch(manager, 0, N);
            Misclassification criterion = new Misclassification(batch.y());
            double clean = accuracy(new TransferAttack(model, Fgsm.of(0f))
                    .run(model, batch.x(), criterion), batch);
            for (MiFgsm attack : List.of(MiFgsm.of(Norm.LINF, 0.1f), MiFgsm.of(Norm.L2, 2f))) {
                AttackResult result = attack.run(model, batch.x(), criterion);
                NDArray adversarial = result.adversarial(manager);
                float[] distances = attack.norm().distance(adversarial, batch.x()).toFloatArray();
                for (float distance : distances) {
                    assertThat(distance).as(attack.norm().id())
                            .isLessThanOrEqualTo(attack.epsilon() * (1 + 1e-5f) + 1e-6f);
                }
                assertThat(adversarial.min().getFloat()).isGreaterThanOrEqualTo(0f);
                assertThat(adversarial.max().getFloat()).isLessThanOrEqualTo(1f);
                assertThat(result.gradients()).as("every sample runs every step")
                        .isEqualTo((long) N * MiFgsm.DEFAULT_STEPS);
                double robust = accuracy(result, batch);
                System.out.println(String.format("mi-fgsm %s eps %s: clean %s -> %s",
                        attack.norm().id(),
                        attack.epsilon(), clean, robust));
                assertThat(robust).as(attack.norm().id() + " accuracy").isLessThan(clean - 0.5);
            }
        }
    }

    /** With μ = 0 the direction of g_{t+1} is that of the gradient: BIM, bit for bit. */
    @Test
    void withoutMomentumItIsBim() {
        BlockClassifier model = TestModels.syntheticCnn();
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = TestModels.syntheticTest().batch(manager, 0, 64);
            Misclassification criterion = new Misclassification(batch.y());
            for (boolean earlyStop : new boolean[] {false, true}) {
                AttackResult bim = new Bim(0.1f, 0.01f, 10, earlyStop)
                        .run(model, batch.x(), criterion);
                AttackResult mi = new MiFgsm(Norm.LINF, 0.1f, 0.01f, 10, 0f, earlyStop)
                        .run(model, batch.x(), criterion);
                assertThat(mi.adversarial()).containsExactly(bim.adversarial());
                assertThat(mi.success()).containsExactly(bim.success());
                AttackResult momentum = new MiFgsm(Norm.LINF, 0.1f, 0.01f, 10, 1f, earlyStop)
                        .run(model, batch.x(), criterion);
                assertThat(momentum.adversarial()).as("momentum changes the path")
                        .isNotEqualTo(bim.adversarial());
            }
        }
    }

    /**
     * The spec's transfer setting (ε = 0.1, 10 steps, μ = 1) from an ensemble of two sources
     * trained apart from the target: the target loses accuracy, and MI-FGSM transfers at least as
     * well as I-FGSM with the same budget.
     */
    @Test
    void transfersFromAnEnsembleOfSources() {
        BlockClassifier target = TestModels.syntheticCnn();
        List<Classifier> sources = List.of(SyntheticModels.trained("small-cnn", 8, 12),
                SyntheticModels.trained("mlp", 32, 13));
        float epsilon = 0.2f;
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = TestModels.syntheticTest().batch(manager, 0, N);
            Misclassification criterion = new Misclassification(batch.y());
            double clean = accuracy(new TransferAttack(target, Fgsm.of(0f))
                    .run(target, batch.x(), criterion), batch);
            AttackResult mi = TransferAttack.of(MiFgsm.of(Norm.LINF, epsilon), sources)
                    .run(target, batch.x(), criterion);
            double transferMi = accuracy(mi, batch);
            double transferBim = accuracy(TransferAttack.of(new Bim(epsilon, epsilon / 10, 10,
                    false), sources).run(target, batch.x(), criterion), batch);
            String numbers = "clean " + clean + ", transfer MI-FGSM " + transferMi
                    + ", transfer I-FGSM " + transferBim;
            System.out.println(String.format("target accuracy at eps %s: %s", epsilon, numbers));
            assertThat(mi.gradients()).isEqualTo((long) N * MiFgsm.DEFAULT_STEPS);
            assertThat(transferMi).as(numbers).isLessThan(clean - 0.1);
            // measured: clean 1.0, transfer MI-FGSM 0.73, transfer I-FGSM 0.925
            assertThat(transferMi).as(numbers).isLessThanOrEqualTo(transferBim);
        }
    }

    @Test
    void registryDefaultsAndErrors() {
        Attack attack = AttackRegistry.create("mi-fgsm",
                new AttackOptions(Norm.LINF, 0.1f, null, 0, Map.of()));
        assertThat(attack).isEqualTo(MiFgsm.of(Norm.LINF, 0.1f));
        assertThat(attack.settings()).containsEntry("decay", 1f).containsEntry("steps", 10)
                .containsEntry("earlyStop", false);
        assertThat(((MiFgsm) attack).stepSize()).isEqualTo(0.01f);
        assertThat(AttackRegistry.create("mi-fgsm", new AttackOptions(Norm.L2, 1f, 20, 0,
                Map.of("decay", "0.5"))).settings()).containsEntry("norm", "l2")
                .containsEntry("stepSize", 0.05f).containsEntry("decay", 0.5f);
        assertThatThrownBy(() -> AttackRegistry.create("mi-fgsm",
                new AttackOptions(Norm.LINF, 0.1f, null, 0, Map.of("decay", "-1"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("decay must be >= 0, got -1.0");
        assertThatThrownBy(() -> AttackRegistry.create("mi-fgsm",
                new AttackOptions(Norm.L1, 5f, null, 0, Map.of())))
                .hasMessageContaining("linf or l2");
        assertThatThrownBy(() -> AttackRegistry.create("mi-fgsm",
                new AttackOptions(Norm.LINF, 0.1f, null, 0, Map.of("mu", "1"))))
                .hasMessageContaining("has no setting mu").hasMessageContaining("decay");
    }
}
