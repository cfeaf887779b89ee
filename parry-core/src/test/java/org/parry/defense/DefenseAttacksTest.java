package org.parry.defense;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.parry.data.Batch;
import org.parry.model.BlockClassifier;
import org.parry.model.Bounds;
import org.parry.testing.TestModels;

/** The training-time attacks of the defenses: their closed forms and degenerate cases. */
class DefenseAttacksTest {

    private static final float EPSILON = 0.1f;

    private static Batch batch(NDManager manager) {
        return TestModels.syntheticTest().batch(manager, 0, 64);
    }

    @Test
    void fatWithTauEqualToTheStepsAndNoNoiseIsPgdTraining() {
        BlockClassifier model = TestModels.syntheticCnn();
        try (NDManager manager = model.manager().newSubManager()) {
            Batch batch = batch(manager);
            Engine.getInstance().setRandomSeed(7);
            NDArray friendly = new FriendlyAdversarialTraining(EPSILON, EPSILON / 4, 10, 10, 0f)
                    .prepare(model, batch).adversarial();
            Engine.getInstance().setRandomSeed(7);
            NDArray madry = new PgdAdversarialTraining(EPSILON, EPSILON / 4, 10, TrainingLabels.TRUE)
                    .prepare(model, batch).adversarial();
            assertThat(friendly.toFloatArray()).containsExactly(madry.toFloatArray());
        }
    }

    @Test
    void fatWithNoBudgetEmitsMisclassifiedPointsAtTheirRandomStart() {
        BlockClassifier model = TestModels.syntheticCnn();
        try (NDManager manager = model.manager().newSubManager()) {
            Batch clean = batch(manager);
            // labels every point disagrees with: all misclassified from the start
            Batch wrong = new Batch(clean.x(), clean.y().add(1).mod(10));
            FriendlyAdversarialTraining fat = new FriendlyAdversarialTraining(EPSILON, EPSILON / 4,
                    10, 0, 0.001f);
            fat.startEpoch(1, 1);
            Engine.getInstance().setRandomSeed(7);
            NDArray emitted = fat.prepare(model, wrong).adversarial();
            Engine.getInstance().setRandomSeed(7);
            NDArray start = SignSteps.uniformStart(clean.x(), EPSILON, Bounds.UNIT);
            assertThat(emitted.toFloatArray()).containsExactly(start.toFloatArray());
            assertThat(fat.epochStatistics().get("fat_gradients_per_example")).isEqualTo(1.0);
        }
    }

    @Test
    void fatsDynamicTauFollowsThePaperScaledToTheRun() {
        assertThat(FriendlyAdversarialTraining.dynamicTau(50, 120)).isZero();
        assertThat(FriendlyAdversarialTraining.dynamicTau(51, 120)).isEqualTo(1);
        assertThat(FriendlyAdversarialTraining.dynamicTau(90, 120)).isEqualTo(1);
        assertThat(FriendlyAdversarialTraining.dynamicTau(91, 120)).isEqualTo(2);
        assertThat(new int[] {FriendlyAdversarialTraining.dynamicTau(1, 4),
                FriendlyAdversarialTraining.dynamicTau(2, 4), FriendlyAdversarialTraining.dynamicTau(3, 4),
                FriendlyAdversarialTraining.dynamicTau(4, 4)}).containsExactly(0, 1, 1, 2);
    }

    @Test
    void everyTrainingAttackStaysInTheBallAndTheBox() {
        BlockClassifier model = TestModels.syntheticCnn();
        try (NDManager manager = model.manager().newSubManager()) {
            Batch batch = batch(manager);
            for (var objective : java.util.List.of(
                    new FgsmAdversarialTraining(EPSILON, 0.5f, TrainingLabels.PREDICTED),
                    new PgdAdversarialTraining(EPSILON, EPSILON / 4, 10, TrainingLabels.TRUE),
                    new FastAdversarialTraining(EPSILON, 1.25f * EPSILON, FastStart.RANDOM, 0.4f, 0f,
                            TrainingLabels.TRUE),
                    new FastAdversarialTraining(EPSILON, 1.25f * EPSILON, FastStart.RANDOM_MASK, 0.4f,
                            0f, TrainingLabels.TRUE),
                    new Trades(EPSILON, EPSILON / 4, 10, 6f),
                    new FriendlyAdversarialTraining(EPSILON, EPSILON / 4, 10, 2, 0.001f))) {
                NDArray adversarial = objective.prepare(model, batch).adversarial();
                float distance = adversarial.sub(batch.x()).abs().max().getFloat();
                assertThat(distance).as(objective.name()).isLessThanOrEqualTo(EPSILON + 1e-6f)
                        .isGreaterThan(EPSILON / 2);
                assertThat(adversarial.min().getFloat()).isGreaterThanOrEqualTo(0f);
                assertThat(adversarial.max().getFloat()).isLessThanOrEqualTo(1f);
            }
        }
    }

    @Test
    void pgdTrainingRaisesTheLossAboveFgsmsAndTheCleanLoss() {
        BlockClassifier model = TestModels.syntheticCnn();
        try (NDManager manager = model.manager().newSubManager()) {
            Batch batch = batch(manager);
            float clean = meanLoss(model, batch.x(), batch);
            float fgsm = meanLoss(model, new FgsmAdversarialTraining(EPSILON, 0.5f,
                    TrainingLabels.TRUE).prepare(model, batch).adversarial(), batch);
            float pgd = meanLoss(model, new PgdAdversarialTraining(EPSILON, EPSILON / 4, 10,
                    TrainingLabels.TRUE).prepare(model, batch).adversarial(), batch);
            assertThat(fgsm).isGreaterThan(clean);
            assertThat(pgd).isGreaterThan(fgsm);
        }
    }

    private static float meanLoss(BlockClassifier model, NDArray x, Batch batch) {
        return org.parry.loss.CrossEntropyLoss.get().perSample(model.logits(x), batch.y()).mean()
                .getFloat();
    }

    @Test
    void theGridMaskZeroesExactlyTheRatiosShareOfPixelsAndTheStartStaysInTheBall() {
        Shape shape = new Shape(2, 1, 28, 28);
        float[] mask = FastStart.grid(shape, 0.4f);
        int zeros = 0;
        for (int i = 0; i < 784; i++) {
            zeros += mask[i] == 0f ? 1 : 0;
        }
        assertThat(zeros).isEqualTo((int) Math.floor(784 * 0.4));
        assertThat(java.util.Arrays.copyOfRange(mask, 784, 1568))
                .containsExactly(java.util.Arrays.copyOfRange(mask, 0, 784));
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomUniform(0f, 1f, shape);
            NDArray start = FastStart.GRID_MASK.start(x, EPSILON, 0.4f, Bounds.UNIT);
            assertThat(start.sub(x).abs().max().getFloat()).isLessThanOrEqualTo(EPSILON + 1e-6f);
            Engine.getInstance().setRandomSeed(3);
            NDArray random = FastStart.RANDOM_MASK.start(manager.ones(new Shape(1, 1, 100, 100)),
                    1f, 0.4f, Bounds.UNIT);
            double zeroShare = random.eq(0f).toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                    .mean().getFloat();
            assertThat(zeroShare).isCloseTo(0.4, within(0.03));
        }
    }

    @Test
    void tradesKlDivergenceIsZeroAtTheCleanPointAndPositiveElsewhere() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray logits = manager.create(new float[] {1f, 2f, 3f, 0f, 0f, 5f}, new Shape(2, 3));
            NDArray same = Trades.klDivergence(logits.logSoftmax(1), logits);
            assertThat(same.toFloatArray()).containsExactly(new float[] {0f, 0f}, within(1e-6f));
            NDArray other = Trades.klDivergence(logits.logSoftmax(1), logits.neg());
            float[] values = other.toFloatArray();
            assertThat(Math.min(values[0], values[1])).isGreaterThan(0.1f);
        }
    }
}
