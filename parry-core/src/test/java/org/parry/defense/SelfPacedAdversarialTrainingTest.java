package org.parry.defense;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.data.SyntheticDataset;
import org.parry.eval.ConfusionMatrix;
import org.parry.model.BlockClassifier;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.model.zoo.ClassifierHead;
import org.parry.train.EpochMetrics;
import org.parry.train.StandardObjective;
import org.parry.train.Trainer;
import org.parry.train.TrainingListener;
import org.parry.train.TrainingObjective;
import org.parry.train.TrainingSettings;

/** SPAT (defenses.md §1.8): its two losses against hand computations, and a short training. */
class SelfPacedAdversarialTrainingTest {

    private static final float EPSILON = 0.1f;
    private static final ArchitectureOptions COSINE = ArchitectureOptions.ofWidth(8)
            .withHead(ClassifierHead.COSINE, ArchitectureOptions.DEFAULT_COSINE_SCALE);

    private static SelfPacedAdversarialTraining spat() {
        return (SelfPacedAdversarialTraining) create(Map.of());
    }

    /** The spec's example: c = [0.9, 0.1, −0.2], y = 0, m = 0.2, s = 8 gives [2.16, 0.24, 0]. */
    @Test
    void theReweightedLogitsMatchTheHandComputedExample() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray cosines = manager.create(new float[] {0.9f, 0.1f, -0.2f}, new Shape(1, 3));
            NDArray z = SelfPacedAdversarialTraining.reweightedLogits(cosines,
                    manager.create(new int[] {0}), 0.2f, 8f);
            // 8·0.3·0.9, 8·0.3·0.1, 8·0·(−0.2), to float32 rounding
            assertThat(z.toFloatArray()).containsExactly(new float[] {2.16f, 0.24f, 0f},
                    within(1e-6f));
        }
    }

    /**
     * |z_k| <= s·(2 + m) over a grid of cosines in [−1, 1] for every label, reached by the label
     * at c_y = −1: s·(2 + m) = 17.6 for s = 8, m = 0.2.
     */
    @Test
    void theReweightedLogitsAreBoundedBySTimesTwoPlusM() {
        int steps = 21;
        float[] grid = new float[steps * steps * 3];
        int row = 0;
        for (int a = 0; a < steps; a++) {
            for (int b = 0; b < steps; b++) {
                grid[3 * row] = -1f + 2f * a / (steps - 1);
                grid[3 * row + 1] = -1f + 2f * b / (steps - 1);
                grid[3 * row + 2] = 1f - 2f * ((a + b) % steps) / (steps - 1);
                row++;
            }
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray cosines = manager.create(grid, new Shape(row, 3));
            float bound = 8f * 2.2f;
            for (int label = 0; label < 3; label++) {
                NDArray labels = manager.full(new Shape(row), label, DataType.INT32);
                float largest = SelfPacedAdversarialTraining.reweightedLogits(cosines, labels, 0.2f,
                        8f).abs().max().getFloat();
                assertThat(largest).as("label %d", label).isCloseTo(bound, within(1e-5f));
            }
        }
    }

    @Test
    void withoutTheOffsetTheRobustLossIsTheSumOfTheSquaredKlTerms() {
        double[] p = softmax(1.0, 2.0, -0.5, 0.3);
        double[] q = softmax(0.2, 2.5, 0.5, -1.0);
        double squares = 0;
        double weighted = 0;
        double kl = 0;
        for (int j = 0; j < p.length; j++) {
            double k = p[j] * Math.log(p[j] / q[j]);
            squares += k * k;
            weighted += k * (k + 0.2);
            kl += k;
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray logP = manager.create(new double[] {1.0, 2.0, -0.5, 0.3}, new Shape(1, 4))
                    .logSoftmax(1);
            NDArray logits = manager.create(new double[] {0.2, 2.5, 0.5, -1.0}, new Shape(1, 4));
            assertThat(SelfPacedAdversarialTraining.weightedDivergence(logP, logits, 0f).getDouble())
                    .isCloseTo(squares, within(1e-12));
            assertThat(SelfPacedAdversarialTraining.weightedDivergence(logP, logits, 0.2f)
                    .getDouble()).isCloseTo(weighted, within(1e-9));
            assertThat(squares).as("the squares are not TRADES's KL").isNotCloseTo(kl, within(1e-3));
        }
    }

    @Test
    void equalDistributionsGiveARobustLossOfZero() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray logits = manager.create(new float[] {3f, -1f, 0.5f, 8f, 8f, -8f},
                    new Shape(2, 3));
            for (float offset : new float[] {0f, 0.2f, 5f}) {
                assertThat(SelfPacedAdversarialTraining.weightedDivergence(logits.logSoftmax(1),
                        logits, offset).toFloatArray()).as("n = %s", offset)
                        .containsExactly(new float[] {0f, 0f}, within(1e-7f));
            }
        }
    }

    /** The training attack stays in the ball and the box and raises the loss it ascends. */
    @Test
    void theTrainingAttackRaisesTheRobustLossInsideTheBall() {
        try (BlockClassifier model = DefenseTraining.freshModel(2, COSINE);
                NDManager manager = model.manager().newSubManager()) {
            DefenseTraining.train(model, new StandardObjective(), DefenseTraining.TRAIN, 1);
            Batch batch = DefenseTraining.TRAIN.batch(manager, 0, 64);
            NDArray adversarial = spat().prepare(model, batch).requireAdversarial();
            assertThat(adversarial.sub(batch.x()).abs().max().getFloat())
                    .isLessThanOrEqualTo(EPSILON + 1e-6f).isGreaterThan(EPSILON / 2);
            assertThat(adversarial.min().getFloat()).isGreaterThanOrEqualTo(0f);
            assertThat(adversarial.max().getFloat()).isLessThanOrEqualTo(1f);
            NDArray cleanLogP = model.logits(batch.x()).logSoftmax(1);
            float attacked = SelfPacedAdversarialTraining.weightedDivergence(cleanLogP,
                    model.logits(adversarial), 0.2f).mean().getFloat();
            float noise = SelfPacedAdversarialTraining.weightedDivergence(cleanLogP,
                    model.logits(model.bounds().clip(batch.x().add(manager.randomUniform(-EPSILON,
                            EPSILON, batch.x().getShape())))), 0.2f).mean().getFloat();
            assertThat(attacked).as("robust loss at the attack vs at uniform noise")
                    .isGreaterThan(10 * noise);
        }
    }

    @Test
    void aNetworkWithALinearHeadIsRefusedWithTheFix() {
        try (BlockClassifier model = DefenseTraining.freshModel(2)) {
            assertThatThrownBy(() -> DefenseTraining.train(model, spat(),
                    DefenseTraining.TRAIN.first(64), 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("spat trains a cosine classifier, but this network's last layer is"
                            + " linear; train it with --head cosine");
        }
    }

    @Test
    void everySettingHasItsDefaultAndBadValuesAreClearErrors() {
        assertThat(spat().settings()).containsExactly(entry("epsilon", 0.1f),
                entry("stepSize", 0.025f), entry("steps", 10), entry("beta", 6f),
                entry("margin", 0.2f), entry("klOffset", 0.2f));
        assertThat(DefenseRegistry.describe("spat")).contains("Hou et al. 2023")
                .contains("--head cosine");
        assertThatThrownBy(() -> create(Map.of("klOffset", "-1")))
                .hasMessage("klOffset must be >= 0, got -1.0");
        assertThatThrownBy(() -> create(Map.of("margin", "NaN")))
                .hasMessage("margin must be >= 0, got NaN");
        assertThatThrownBy(() -> create(Map.of("beta", "0"))).hasMessage("beta must be > 0, got 0.0");
        assertThatThrownBy(() -> create(Map.of("n", "0.3")))
                .hasMessageContaining("no setting(s) [n]").hasMessageContaining("klOffset");
    }

    private static TrainingObjective create(Map<String, String> settings) {
        return DefenseRegistry.create("spat", new DefenseOptions(null, settings),
                new Shape(1, 28, 28));
    }

    private static double[] softmax(double... logits) {
        double sum = 0;
        double[] p = new double[logits.length];
        for (int j = 0; j < logits.length; j++) {
            p[j] = Math.exp(logits[j]);
            sum += p[j];
        }
        for (int j = 0; j < logits.length; j++) {
            p[j] /= sum;
        }
        return p;
    }

    /**
     * SPAT trains on 512 synthetic images (small-cnn width 8, cosine head, Adam 5e-3, 5 epochs):
     * the loss falls and the model classifies held-out images. Its attack here is 3 steps of
     * 0.4 ε: with the default 10 steps of ε/4 (β = 6) five epochs of 8 batches were too few for
     * it to fit even the clean data (measured: train accuracy 0.41, test 0.54, while TRADES with
     * the same budget reached 1.0). Robustness is not asserted, because on this data it does not
     * hold: trained the same way from the same weights, standard training gave test 1.0 and
     * PGD-20 (ε = 0.1) accuracy 0.30, this SPAT 1.0 and 0.32 (TRADES with its defaults 0.82).
     */
    @Test
    void spatTrainsOnTinyData() throws IOException {
        try (BlockClassifier model = DefenseTraining.freshModel(4, COSINE);
                TrainingObjective objective = create(Map.of("steps", "3", "stepSize", "0.04"))) {
            List<EpochMetrics> history = train(model, objective);
            assertThat(history.get(4).loss()).as("loss by epoch: %s", history)
                    .isLessThan(history.get(0).loss() / 1.5);
            assertThat(history.get(4).accuracy()).as("train accuracy, chance 0.1").isGreaterThan(0.7);
            ImageDataset test = SyntheticDataset.generate(300, 10, 1, 28, 28, 99);
            assertThat(ConfusionMatrix.measure(model, test, 100, done -> {}).accuracy())
                    .as("clean test accuracy").isGreaterThan(0.8);
        }
    }

    private static List<EpochMetrics> train(BlockClassifier model, TrainingObjective objective)
            throws IOException {
        return new Trainer(TrainingSettings.builder().optEpochs(5).optBatchSize(64)
                .optLearningRate(5e-3f).build(), objective, TrainingListener.NONE)
                .fit(model, DefenseTraining.TRAIN, null, false);
    }
}
