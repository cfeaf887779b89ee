package org.parry.attack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.model.BlockClassifier;
import org.parry.model.Bounds;
import org.parry.model.Classifier;
import org.parry.model.ForwardingClassifier;
import org.parry.model.NoGradientClassifier;
import org.parry.norm.Norm;
import org.parry.norm.RandomNoise;
import org.parry.testing.SyntheticModels;
import org.parry.testing.TestModels;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Transfer attacks: from a model to itself exactly the white-box attack; from an independently
 * trained model weaker than white-box but far stronger than random noise; a query-only target
 * asked only for logits, once per sample; ensembles of sources; mismatched sources refused.
 */
class TransferAttackTest {

    private static final Logger LOG = LoggerFactory.getLogger(TransferAttackTest.class);
    private static final Shape INPUT = new Shape(1, 28, 28);
    private static final int N = 200;

    /** An independently trained source: the target's architecture, another seed. */
    private static BlockClassifier source() {
        return SyntheticModels.trained("small-cnn", 8, 12);
    }

    private static Batch batch(NDManager manager) {
        return TestModels.syntheticTest().batch(manager, 0, N);
    }

    /** The fraction of samples still correctly classified at the attack's point. */
    private static double accuracy(AttackResult result, Batch batch) {
        int[] labels = batch.y().toIntArray();
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            correct += result.predictions()[i] == labels[i] ? 1 : 0;
        }
        return (double) correct / labels.length;
    }

    @Test
    void transferFromAModelToItselfIsTheWhiteBoxAttack() {
        BlockClassifier model = TestModels.syntheticCnn();
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = batch(manager);
            Misclassification criterion = new Misclassification(batch.y());
            for (Attack inner : List.of(Fgsm.of(0.15f), Pgd.builder(Norm.LINF, 0.1f).optSteps(10)
                    .optSeed(3).build())) {
                AttackResult whiteBox = inner.run(model, batch.x(), criterion);
                AttackResult transfer = new TransferAttack(model, inner)
                        .run(model, batch.x(), criterion);
                assertThat(transfer.adversarial()).as(inner.name())
                        .containsExactly(whiteBox.adversarial());
                assertThat(transfer.success()).containsExactly(whiteBox.success());
                assertThat(transfer.predictions()).containsExactly(whiteBox.predictions());
                assertThat(transfer.linf()).containsExactly(whiteBox.linf());
                assertThat(transfer.gradients()).isEqualTo(whiteBox.gradients());
                assertThat(transfer.successes()).isPositive();
            }
        }
    }

    /**
     * On a typical pair (two small CNNs trained apart, from different seeds), the target keeps at
     * least the accuracy it keeps under its own white-box attack, and transferred FGSM costs it
     * much more than random sign noise of the same ε.
     */
    @Test
    void transferIsWeakerThanWhiteBoxAndStrongerThanNoise() {
        BlockClassifier target = TestModels.syntheticCnn();
        float epsilon = 0.2f;
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = batch(manager);
            Misclassification criterion = new Misclassification(batch.y());
            Attack pgd = Pgd.builder(Norm.LINF, epsilon).optSteps(20).optSeed(1).build();
            double whiteBox = accuracy(pgd.run(target, batch.x(), criterion), batch);
            double transferPgd = accuracy(new TransferAttack(source(), pgd)
                    .run(target, batch.x(), criterion), batch);
            Attack fullPgd = Pgd.builder(Norm.LINF, epsilon).optSteps(20).optSeed(1)
                    .optEarlyStop(false).build();
            double transferFullPgd = accuracy(new TransferAttack(source(), fullPgd)
                    .run(target, batch.x(), criterion), batch);
            double transferFgsm = accuracy(new TransferAttack(source(), Fgsm.of(epsilon))
                    .run(target, batch.x(), criterion), batch);
            NDArray noisy = Bounds.UNIT.clip(batch.x().add(
                    RandomNoise.gaussian(manager, batch.x().getShape(), 5).sign().mul(epsilon)));
            int[] noisyPredictions = target.logits(noisy).argMax(1)
                    .toType(DataType.INT32, false).toIntArray();
            int[] labels = batch.y().toIntArray();
            int noisyCorrect = 0;
            for (int i = 0; i < N; i++) {
                noisyCorrect += noisyPredictions[i] == labels[i] ? 1 : 0;
            }
            double noise = (double) noisyCorrect / N;
            String numbers = "white-box PGD " + whiteBox + ", transfer PGD " + transferPgd
                    + ", transfer PGD without early stop " + transferFullPgd + ", transfer FGSM "
                    + transferFgsm + ", noise " + noise;
            LOG.info("target accuracy at eps {}: {}", epsilon, numbers);
            assertThat(transferPgd).as(numbers).isGreaterThanOrEqualTo(whiteBox);
            assertThat(transferFgsm).as(numbers).isGreaterThanOrEqualTo(whiteBox);
            // measured: white-box PGD 0.0, transfer PGD 0.995, transfer FGSM 0.815, noise 0.97;
            // PGD overfits its source and transfers worst, as Kurakin et al. and Tramer et al.
            // found for iterative attacks; the one-step FGSM transfers
            assertThat(transferFgsm).as(numbers).isLessThan(noise - 0.1);
            // PGD that stops at the source's boundary hardly transfers; run to the end of its
            // budget it moves as far as FGSM and transfers far better
            assertThat(transferFullPgd).as(numbers).isGreaterThanOrEqualTo(whiteBox)
                    .isLessThan(transferPgd - 0.1);
        }
    }

    @Test
    void aQueryOnlyTargetIsAskedOnlyForLogitsOncePerSample() {
        BlockClassifier cnn = TestModels.syntheticCnn();
        AtomicLong seen = new AtomicLong();
        NoGradientClassifier remote = NoGradientClassifier.of("remote", INPUT, 10, x -> {
            seen.addAndGet(x.getShape().get(0));
            return cnn.logits(x);
        });
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = batch(manager);
            AttackResult result = new TransferAttack(source(), Fgsm.of(0.2f))
                    .run(remote, batch.x(), new Misclassification(batch.y()));
            assertThat(result.queries()).isEqualTo(N).isEqualTo(seen.get());
            assertThat(result.gradients()).as("gradients spent on the source").isEqualTo(N);
            assertThat(result.successes()).isPositive();
            for (float distance : result.linf()) {
                assertThat(distance).isLessThanOrEqualTo(0.2f + 1e-6f);
            }
        }
    }

    @Test
    void severalSourcesAttackTheirEnsemble() {
        BlockClassifier target = TestModels.syntheticCnn();
        List<Classifier> sources = List.of(source(), SyntheticModels.trained("mlp", 32, 13));
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = batch(manager);
            TransferAttack attack = TransferAttack.of(Fgsm.of(0.2f), sources);
            assertThat(attack.name()).isEqualTo("transfer-fgsm");
            assertThat(attack.settings()).containsEntry("sources", List.of("small-cnn", "mlp"))
                    .containsEntry("ensemble", "logits").containsEntry("attack", "fgsm")
                    .containsEntry("epsilon", 0.2f).containsEntry("norm", "linf");
            AttackResult result = attack.run(NoGradientClassifier.wrap(
                    new ForwardingClassifier(target) {}), batch.x(), new Misclassification(batch.y()));
            // the inner attack counts passes through its model, the ensemble
            assertThat(result.gradients()).isEqualTo(N);
            assertThat(result.successes()).isPositive();
        }
    }

    @Test
    void sourcesOfAnotherTaskAreRefused() {
        BlockClassifier target = TestModels.syntheticCnn();
        Classifier fiveClasses = NoGradientClassifier.of("five", INPUT, 5, x -> x);
        Classifier otherBox = new ForwardingClassifier(source()) {
            @Override
            public Bounds bounds() {
                return new Bounds(0f, 255f);
            }
        };
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = batch(manager);
            Misclassification criterion = new Misclassification(batch.y());
            assertThatThrownBy(() -> new TransferAttack(fiveClasses, Fgsm.of(0.1f))
                    .run(target, batch.x(), criterion))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("source model 'five'").hasMessageContaining("5 classes")
                    .hasMessageContaining("10 classes");
            assertThatThrownBy(() -> new TransferAttack(otherBox, Fgsm.of(0.1f))
                    .run(target, batch.x(), criterion))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("[0.0, 255.0]").hasMessageContaining("same input box");
            assertThatThrownBy(() -> new TransferAttack(target,
                    new TransferAttack(target, Fgsm.of(0.1f))))
                    .hasMessageContaining("itself a transfer attack");
        }
    }
}
