package org.parry.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.data.SyntheticDataset;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.BlockClassifier;
import org.parry.model.Classifier;
import org.parry.model.ModelCard;
import org.parry.model.Normalization;
import org.parry.model.SavedModel;

class TrainerTest {

    private static ImageDataset train;
    private static ImageDataset test;

    @BeforeAll
    static void data() {
        train = SyntheticDataset.generate(640, 10, 1, 28, 28, 1);
        test = SyntheticDataset.generate(200, 10, 1, 28, 28, 2);
    }

    static ModelCard card(String architecture, int width) {
        return new ModelCard(ModelCard.FORMAT, architecture, width, "relu", 1, new int[] {1, 28, 28},
                train.classNames(), Normalization.identity(1), train.name(), null, null, null,
                0, "test", null);
    }

    static TrainingSettings settings(int epochs, String optimizer) {
        return TrainingSettings.builder().optEpochs(epochs).optBatchSize(64)
                .optOptimizer(optimizer).optLearningRate(optimizer.equals("sgd") ? 0.05f : 2e-3f)
                .optSeed(5).build();
    }

    static byte[] weights(BlockClassifier model) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        model.block().saveParameters(new DataOutputStream(bytes));
        return bytes.toByteArray();
    }

    static double accuracy(Classifier model, ImageDataset data) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = data.batch(manager, 0, data.size());
            NDArray predictions = model.logits(batch.x()).argMax(1).toType(batch.y().getDataType(), false);
            return predictions.eq(batch.y()).sum().getLong() / (double) data.size();
        }
    }

    @Test
    void trainingLearnsTheSyntheticTaskWithSgdAndAdam() throws IOException {
        for (String optimizer : List.of("sgd", "adam")) {
            try (BlockClassifier model = SavedModel.create(card("small-cnn", 8), 5)) {
                double before = accuracy(model, test);
                List<EpochMetrics> history = new Trainer(settings(2, optimizer),
                        new StandardObjective(), TrainingListener.NONE).fit(model, train, null, false);
                assertThat(history).hasSize(2);
                assertThat(history.get(1).loss()).isLessThan(history.get(0).loss());
                assertThat(accuracy(model, test)).as(optimizer).isGreaterThan(0.9).isGreaterThan(before);
            }
        }
    }

    @Test
    void sameSeedGivesIdenticalWeights() throws IOException {
        byte[][] runs = new byte[2][];
        for (int run = 0; run < 2; run++) {
            try (BlockClassifier model = SavedModel.create(card("small-cnn", 8), 5)) {
                new Trainer(settings(1, "sgd"), new StandardObjective(), TrainingListener.NONE)
                        .fit(model, train, null, false);
                runs[run] = weights(model);
            }
        }
        assertThat(runs[0]).isEqualTo(runs[1]);
    }

    @Test
    void resumedRunEndsWithTheWeightsOfAnUninterruptedOne(@TempDir Path dir) throws IOException {
        TrainingSettings settings = settings(3, "adam");
        byte[] uninterrupted;
        try (BlockClassifier model = SavedModel.create(card("mlp", 32), 5)) {
            new Trainer(settings, new StandardObjective(), TrainingListener.NONE)
                    .fit(model, train, dir.resolve("a"), false);
            uninterrupted = weights(model);
        }
        Path checkpoints = dir.resolve("b");
        TrainingListener killedAfterEpochOne = new TrainingListener() {
            @Override
            public void onEpoch(EpochMetrics metrics) {
                if (metrics.epoch() == 1) {
                    throw new IllegalStateException("killed");
                }
            }
        };
        try (BlockClassifier model = SavedModel.create(card("mlp", 32), 5)) {
            assertThatThrownBy(() -> new Trainer(settings, new StandardObjective(), killedAfterEpochOne)
                    .fit(model, train, checkpoints, false)).hasMessage("killed");
        }
        assertThat(Checkpoint.read(checkpoints).epochsCompleted()).isEqualTo(1);
        // A different initialization seed: the resumed weights must come from the checkpoint.
        try (BlockClassifier model = SavedModel.create(card("mlp", 32), 99)) {
            List<EpochMetrics> history = new Trainer(settings, new StandardObjective(),
                    TrainingListener.NONE).fit(model, train, checkpoints, true);
            assertThat(history).extracting(EpochMetrics::epoch).containsExactly(1, 2, 3);
            assertThat(weights(model)).isEqualTo(uninterrupted);
        }
    }

    @Test
    void resumeWithDifferentSettingsIsRefused(@TempDir Path dir) throws IOException {
        try (BlockClassifier model = SavedModel.create(card("mlp", 16), 5)) {
            new Trainer(settings(1, "adam"), new StandardObjective(), TrainingListener.NONE)
                    .fit(model, train, dir, false);
            TrainingSettings other = settings(2, "adam").toBuilder().optBatchSize(32).build();
            assertThatThrownBy(() -> new Trainer(other, new StandardObjective(), TrainingListener.NONE)
                    .fit(model, train, dir, true))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("different settings");
        }
    }

    /** defenses.md §0.2: gradients taken while preparing a batch must not leak into the update. */
    @Test
    void attackCraftedInPrepareLeavesTheTrainingStepUnchanged() throws IOException {
        TrainingObjective craftsFirst = new TrainingObjective() {
            @Override
            public String name() {
                return "standard";
            }

            @Override
            public PreparedBatch prepare(Classifier model, Batch batch) {
                model.lossGradient(batch.x(), batch.y(), CrossEntropyLoss.get());
                model.lossGradient(batch.x(), batch.y(), CrossEntropyLoss.get());
                return PreparedBatch.of(batch);
            }

            @Override
            public StepLoss loss(TrainingNetwork network, PreparedBatch prepared) {
                return new StandardObjective().loss(network, prepared);
            }
        };
        byte[][] runs = new byte[2][];
        List<TrainingObjective> objectives = List.of(new StandardObjective(), craftsFirst);
        for (int run = 0; run < 2; run++) {
            try (BlockClassifier model = SavedModel.create(card("small-cnn", 8), 5)) {
                new Trainer(settings(1, "sgd"), objectives.get(run), TrainingListener.NONE)
                        .fit(model, train.first(128), null, false);
                runs[run] = weights(model);
            }
        }
        assertThat(runs[1]).isEqualTo(runs[0]);
    }

    @Test
    void settingsAreValidatedWithClearMessages() {
        assertThatThrownBy(() -> TrainingSettings.builder().optEpochs(0).build())
                .hasMessageContaining("epochs must be >= 1, got 0");
        assertThatThrownBy(() -> TrainingSettings.builder().optOptimizer("rmsprop").build())
                .hasMessageContaining("optimizer must be sgd or adam, got 'rmsprop'");
        assertThatThrownBy(() -> TrainingSettings.builder().optLearningRate(-1f).build())
                .hasMessageContaining("learning rate must be > 0");
        assertThatThrownBy(() -> TrainingSettings.builder().optSchedule("linear").build())
                .hasMessageContaining("schedule must be constant, step or cosine");
    }

    @Test
    void schedulesFollowTheirFormulas() {
        TrainingSettings step = TrainingSettings.builder().optLearningRate(0.1f).optSchedule("step")
                .optStepEpochs(2).optStepGamma(0.5f).optEpochs(6).build();
        LearningRateSchedule stepSchedule = LearningRateSchedule.of(step);
        assertThat(stepSchedule.rate(0)).isEqualTo(0.1f);
        assertThat(stepSchedule.rate(2.5)).isEqualTo(0.05f);
        assertThat(stepSchedule.rate(4)).isEqualTo(0.025f);
        LearningRateSchedule cosine = LearningRateSchedule.of(
                step.toBuilder().optSchedule("cosine").build());
        assertThat(cosine.rate(0)).isEqualTo(0.1f);
        assertThat(cosine.rate(3)).isCloseTo(0.05f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(cosine.rate(6)).isCloseTo(0f, org.assertj.core.data.Offset.offset(1e-6f));
    }
}
