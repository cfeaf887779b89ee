package org.parry.defense;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.model.BlockClassifier;
import org.parry.model.Bounds;
import org.parry.model.Classifier;
import org.parry.train.EpochMetrics;
import org.parry.train.PreparedBatch;
import org.parry.train.StandardObjective;
import org.parry.train.TrainingNetwork;
import org.parry.train.TrainingObjective;

/** LADDER (defenses.md §1.9): its latent step, decoder, SVM, side training and schedule. */
class LatentBoundaryTrainingTest {

    private static final Shape IMAGE = new Shape(1, 28, 28);

    /** Warm-up side steps over the synthetic set, as the trainer runs them (frozen model). */
    private static void warmUp(LatentBoundaryTraining ladder, BlockClassifier model, int batches) {
        model.block().freezeParameters(true);
        ladder.startEpoch(1, 2);
        for (int b = 0; b < batches; b++) {
            try (NDManager step = model.manager().newSubManager()) {
                ladder.prepare(model, DefenseTraining.TRAIN.batchNumber(step, b % 8, 64));
            }
        }
    }

    @Test
    void withTheAttentionFrozenTheTrueClassScoreFallsByExactlyTheStepTimesTheNormalsNorm() {
        try (LatentBoundaryTraining ladder = LatentBoundaryTraining.builder().optWarmup(1)
                .optNoise(0f).optSvmRate(0.01f).build();
                BlockClassifier model = DefenseTraining.freshModel(3);
                NDManager manager = model.manager().newSubManager()) {
            warmUp(ladder, model, 8);
            Batch batch = DefenseTraining.TRAIN.batch(manager, 0, 32);
            NDArray z = ladder.latents(model, batch.x());
            AttentionSvm svm = ladder.svm();
            NDArray attention = svm.attention(z);
            // a trained attention is not uniform, so holding it fixed is what the step relies on
            assertThat(attention.max().getFloat() - attention.min().getFloat())
                    .isGreaterThan(1e-3f);
            float[] fractions = {0.1f, 0.5f, 2f};
            LatentBoundaryTraining.Generated generated =
                    ladder.generate(z, batch.y(), fractions, Bounds.UNIT);
            float scale = z.norm(new int[] {1}).mean().getFloat();
            float[] before = svm.trueScore(z, attention, batch.y()).toFloatArray();
            float[] normal = svm.normal(z, batch.y()).norm(new int[] {1}).toFloatArray();
            float[] after = generated.trueScores().toFloatArray();
            for (int j = 0; j < fractions.length; j++) {
                for (int i = 0; i < 32; i++) {
                    double expected = before[i] - fractions[j] * scale * normal[i];
                    // float32 rounding of d = 128 products: relative 1e-4 of the terms' size
                    double tolerance = 1e-4 * (Math.abs(before[i]) + fractions[j] * scale
                            * normal[i] + 1);
                    assertThat((double) after[j * 32 + i]).as("step %d, sample %d", j, i)
                            .isCloseTo(expected, org.assertj.core.data.Offset.offset(tolerance));
                }
            }
            // the fall is real: the largest step moves every score by more than the tolerance
            assertThat(after[2 * 32] - before[0]).isLessThan(-0.01f);
        }
    }

    @Test
    void aZeroLatentStepReturnsTheReconstructionOfTheLatent() {
        try (LatentBoundaryTraining ladder = LatentBoundaryTraining.builder().optWarmup(1)
                .optNoise(0f).build();
                BlockClassifier model = DefenseTraining.freshModel(3);
                NDManager manager = model.manager().newSubManager()) {
            warmUp(ladder, model, 4);
            Batch batch = DefenseTraining.TRAIN.batch(manager, 0, 16);
            NDArray z = ladder.latents(model, batch.x());
            float[] reconstruction = ladder.decoder().decode(z).toFloatArray();
            float[] zero = ladder.generate(z, batch.y(), new float[] {0f}, Bounds.UNIT).images()
                    .toFloatArray();
            assertThat(zero).containsExactly(reconstruction);
            NDArray moved = ladder.generate(z, batch.y(), new float[] {0.5f}, Bounds.UNIT).images();
            assertThat(moved.sub(manager.create(reconstruction, moved.getShape())).abs().max()
                    .getFloat()).isGreaterThan(1e-3f);
        }
    }

    @Test
    void theDecodersReconstructionErrorFallsDuringAShortTraining() {
        try (LatentBoundaryTraining ladder = LatentBoundaryTraining.builder().optWarmup(1).build();
                BlockClassifier model = DefenseTraining.freshModel(3);
                NDManager manager = model.manager().newSubManager()) {
            Batch batch = DefenseTraining.TRAIN.batch(manager, 0, 64);
            warmUp(ladder, model, 1);
            NDArray z = ladder.latents(model, batch.x());
            float first = ladder.decoder().reconstructionError(z, batch.x()).getFloat();
            warmUp(ladder, model, 20);
            float trained = ladder.decoder().reconstructionError(z, batch.x()).getFloat();
            assertThat(trained).as("MSE after 1 and 21 steps").isLessThan(first * 0.7f);
            assertThat(ladder.decoder().architecture()).isEqualTo("upsample-conv");
            assertThat(z.getShape()).isEqualTo(new Shape(64, 128)); // small-cnn's fc-128
        }
    }

    @Test
    void theSvmSeparatesLinearlySeparableLatents() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(5);
            int classes = 4;
            int n = 200;
            // class k sits around 2·e_k in R^8 with noise 0.3: linearly separable with margin
            NDArray y = manager.randomInteger(0, classes, new Shape(n), DataType.INT32);
            NDArray z = y.toType(DataType.INT64, false).oneHot(8).mul(2f)
                    .add(manager.randomNormal(0f, 0.3f, new Shape(n, 8), DataType.FLOAT32));
            AttentionSvm svm = new AttentionSvm(8, classes, 0.05f, 1e-4f, manager);
            float start = accuracy(svm, z, y);
            float firstLoss = svm.loss(z, y).getFloat();
            for (int i = 0; i < 200; i++) {
                try (NDManager step = manager.newSubManager()) {
                    svm.train(z, y, step);
                }
            }
            assertThat(start).as("all scores 0 at the start").isLessThan(0.5f);
            assertThat(accuracy(svm, z, y)).isEqualTo(1f);
            assertThat(svm.loss(z, y).getFloat()).isLessThan(firstLoss / 10);
        }
    }

    private static float accuracy(AttentionSvm svm, NDArray z, NDArray y) {
        return svm.scores(z).argMax(1).toType(DataType.INT32, false).eq(y)
                .toType(DataType.FLOAT32, false).mean().getFloat();
    }

    @Test
    void prepareLeavesNoGradientAndNoChangeInTheClassifier() {
        try (LatentBoundaryTraining ladder = LatentBoundaryTraining.builder().optWarmup(0).build();
                BlockClassifier model = DefenseTraining.freshModel(5)) {
            model.block().freezeParameters(true);
            ladder.startEpoch(1, 2);
            byte[] before = DefenseTraining.weights(model);
            try (NDManager step = model.manager().newSubManager()) {
                for (int b = 0; b < 3; b++) {
                    PreparedBatch prepared = ladder.prepare(model,
                            DefenseTraining.TRAIN.batchNumber(step, b, 32));
                    assertThat(prepared.x().getShape().get(0)).isEqualTo(32 * 6);
                }
                for (Parameter parameter : model.block().getParameters().values()) {
                    NDArray weight = parameter.getArray();
                    if (weight.hasGradient()) {
                        step.tempAttachAll(weight);
                        assertThat(weight.getGradient().abs().max().getFloat())
                                .as(parameter.getName()).isZero();
                    }
                }
            }
            assertThat(DefenseTraining.weights(model)).isEqualTo(before);
        }
    }

    /**
     * One training step of LADDER (side steps of G and the SVM, then generation) gives
     * bit-identical parameters to a standard step on the same union batch with no side training.
     */
    @Test
    void aLadderStepEqualsAStandardStepOnTheBatchItPrepared() {
        List<float[]> images = new ArrayList<>();
        List<int[]> labels = new ArrayList<>();
        byte[] ladderWeights;
        byte[] replayed;
        try (LatentBoundaryTraining ladder =
                LatentBoundaryTraining.builder().optWarmup(0).build()) {
            try (BlockClassifier model = DefenseTraining.freshModel(5)) {
                DefenseTraining.train(model, new Recording(ladder, images, labels),
                        DefenseTraining.TRAIN.first(64), 1);
                ladderWeights = DefenseTraining.weights(model);
            }
        }
        try (BlockClassifier model = DefenseTraining.freshModel(5)) {
            DefenseTraining.train(model, new Replaying(images, labels),
                    DefenseTraining.TRAIN.first(64), 1);
            replayed = DefenseTraining.weights(model);
        }
        assertThat(labels).hasSize(1);
        assertThat(labels.get(0)).hasSize(64 * 6);
        assertThat(replayed).isEqualTo(ladderWeights);
    }

    @Test
    void theObjectivesArraysStayFlatOverManySteps() {
        try (LatentBoundaryTraining ladder = LatentBoundaryTraining.builder().optWarmup(0)
                .optBudget(0.5f).build();
                BlockClassifier model = DefenseTraining.freshModel(3)) {
            model.block().freezeParameters(true);
            ladder.startEpoch(1, 2);
            List<Integer> held = new ArrayList<>();
            List<Integer> left = new ArrayList<>();
            try (NDManager epoch = model.manager().newSubManager()) {
                for (int b = 0; b < 30; b++) {
                    try (NDManager step = epoch.newSubManager()) {
                        ladder.prepare(model, DefenseTraining.TRAIN.batchNumber(step, b % 8, 16));
                    }
                    held.add(ladder.heldArrays());
                    left.add(epoch.getManagedArrays().size());
                }
            }
            // G's 6 weights and the SVM's 4, and each Adam's step count and two moments per weight
            assertThat(held.get(29)).isEqualTo(held.get(0))
                    .isEqualTo(10 + (1 + 2 * 6) + (1 + 2 * 4));
            assertThat(left).containsOnly(0);
        }
    }

    @Test
    void theBudgetDropsTheGeneratedImagesFartherThanItFromTheirCleanImage() {
        int[] rows = new int[3];
        float[] budgets = {1e-3f, 0.5f, 1f};
        double[] linf = new double[3];
        for (int i = 0; i < budgets.length; i++) {
            try (LatentBoundaryTraining ladder = LatentBoundaryTraining.builder().optWarmup(0)
                    .optBudget(budgets[i]).build();
                    BlockClassifier model = DefenseTraining.freshModel(3);
                    NDManager step = model.manager().newSubManager()) {
                model.block().freezeParameters(true);
                ladder.startEpoch(1, 2);
                Batch batch = DefenseTraining.TRAIN.batchNumber(step, 0, 32);
                PreparedBatch prepared = ladder.prepare(model, batch);
                rows[i] = Math.toIntExact(prepared.x().getShape().get(0));
                NDArray generated = prepared.x().get("32:");
                assertThat(prepared.x().get(":32").toFloatArray())
                        .containsExactly(batch.x().toFloatArray());
                assertThat(prepared.y().toIntArray()).hasSize(rows[i]);
                if (rows[i] > 32) {
                    assertThat(generated.min().getFloat()).isGreaterThanOrEqualTo(0f);
                    assertThat(generated.max().getFloat()).isLessThanOrEqualTo(1f);
                }
                linf[i] = ladder.epochStatistics().get(LatentBoundaryTraining.LINF);
            }
        }
        // the same draws in the three runs: only the budget differs
        assertThat(linf[0]).isEqualTo(linf[2]).isBetween(1e-3, 1.0);
        assertThat(rows[0]).isEqualTo(32);
        assertThat(rows[2]).isEqualTo(32 * 6);
        assertThat(rows[1]).isBetween(32, 32 * 6);
    }

    @Test
    void aFewEpochsTrainThenGenerateExamplesNearTheBoundary() {
        ImageDataset test = org.parry.testing.TestModels.syntheticTest();
        try (LatentBoundaryTraining ladder = LatentBoundaryTraining.builder().build();
                BlockClassifier model = DefenseTraining.freshModel(3)) {
            List<EpochMetrics> history = DefenseTraining.train(model, ladder,
                    DefenseTraining.TRAIN, 4);
            Map<String, Double> warm = history.get(1).statistics();
            Map<String, Double> tuned = history.get(3).statistics();
            assertThat(warm.get(LatentBoundaryTraining.GENERATED)).isZero();
            assertThat(warm).doesNotContainKey(LatentBoundaryTraining.CROSSED);
            assertThat(tuned.get(LatentBoundaryTraining.GENERATED)).isEqualTo(5.0);
            assertThat(tuned.get(LatentBoundaryTraining.CROSSED)).isBetween(0.01, 1.0);
            assertThat(tuned.get(LatentBoundaryTraining.LINF)).isGreaterThan(0.0);
            assertThat(tuned.get(LatentBoundaryTraining.SVM_ACCURACY)).isGreaterThan(0.5);
            assertThat(tuned.get(LatentBoundaryTraining.RECONSTRUCTION)).isLessThan(
                    history.get(0).statistics().get(LatentBoundaryTraining.RECONSTRUCTION));
            assertThat(history.get(3).loss()).as("loss by epoch " + history)
                    .isLessThan(history.get(2).loss());
            assertThat(history.get(1).loss()).isLessThan(history.get(0).loss());
            assertThat(accuracy(model, test)).isGreaterThan(0.5);
        }
    }

    private static double accuracy(Classifier model, ImageDataset data) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = data.batch(manager, 0, data.size());
            return model.logits(batch.x()).argMax(1).toType(DataType.INT32, false).eq(batch.y())
                    .toType(DataType.FLOAT32, false).mean().getFloat();
        }
    }

    @Test
    void settingsHaveDefaultsAndBadOnesAreClearErrors() {
        try (TrainingObjective ladder = DefenseRegistry.create("ladder",
                new DefenseOptions(null, Map.of()), IMAGE)) {
            assertThat(ladder.settings()).containsEntry("warmup", "half").containsEntry("steps", 5)
                    .containsEntry("latentEpsilon", 0.1f).containsEntry("noise", 0.05f)
                    .containsEntry("decoderRate", 1e-3f).containsEntry("svmRate", 1e-3f)
                    .containsEntry("svmPenalty", 1e-4f).containsEntry("budget", 0f);
            assertThatThrownBy(() -> ladder.startEpoch(1, 1))
                    .hasMessageContaining("train for at least 2 epochs");
        }
        try (TrainingObjective ladder = DefenseRegistry.create("ladder",
                new DefenseOptions(null, Map.of("warmup", "3", "budget", "0.3")), IMAGE)) {
            assertThat(ladder.settings()).containsEntry("warmup", 3).containsEntry("budget", 0.3f);
        }
        assertThatThrownBy(() -> DefenseRegistry.create("ladder",
                new DefenseOptions(null, Map.of("steps", "0")), IMAGE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("steps must be >= 1");
        assertThatThrownBy(() -> DefenseRegistry.create("ladder",
                new DefenseOptions(null, Map.of("warmup", "some")), IMAGE))
                .hasMessageContaining("warmup=some is not an integer or 'half'");
        assertThatThrownBy(() -> DefenseRegistry.create("ladder",
                new DefenseOptions(null, Map.of("budget", "2")), IMAGE))
                .hasMessageContaining("budget must be 0 (off) or in (0, 1]");
        assertThatThrownBy(() -> DefenseRegistry.create("ladder",
                new DefenseOptions(0.1f, Map.of()), IMAGE)).hasMessageContaining("takes no --eps");
        assertThatThrownBy(() -> DefenseRegistry.create("ladder",
                new DefenseOptions(null, Map.of("epsilon", "1")), IMAGE))
                .hasMessageContaining("no setting(s) [epsilon]")
                .hasMessageContaining("latentEpsilon");
    }

    /** Runs LADDER and keeps a copy of the batch it prepared. */
    private record Recording(TrainingObjective objective, List<float[]> images,
            List<int[]> labels) implements TrainingObjective {

        @Override
        public String name() {
            return objective.name();
        }

        @Override
        public void startEpoch(int epoch, int epochs) {
            objective.startEpoch(epoch, epochs);
        }

        @Override
        public PreparedBatch prepare(Classifier model, Batch batch) {
            PreparedBatch prepared = objective.prepare(model, batch);
            images.add(prepared.x().toFloatArray());
            labels.add(prepared.y().toIntArray());
            return prepared;
        }

        @Override
        public StepLoss loss(TrainingNetwork network, PreparedBatch prepared) {
            return objective.loss(network, prepared);
        }
    }

    /** The standard loss on the recorded batch, without LADDER's side training. */
    private record Replaying(List<float[]> images, List<int[]> labels)
            implements TrainingObjective {

        @Override
        public String name() {
            return "replay";
        }

        @Override
        public PreparedBatch prepare(Classifier model, Batch batch) {
            NDManager manager = batch.x().getManager();
            int[] y = labels.get(0);
            NDArray x = manager.create(images.get(0),
                    new Shape(y.length).addAll(batch.x().getShape().slice(1)));
            return PreparedBatch.of(new Batch(x, manager.create(y)));
        }

        @Override
        public StepLoss loss(TrainingNetwork network, PreparedBatch prepared) {
            return new StandardObjective().loss(network, prepared);
        }
    }
}
