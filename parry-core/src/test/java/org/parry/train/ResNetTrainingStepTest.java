package org.parry.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.parry.data.ImageDataset;
import org.parry.data.SyntheticDataset;
import org.parry.model.BlockClassifier;
import org.parry.model.ModelCard;
import org.parry.model.Normalization;
import org.parry.model.SavedModel;

/** PreAct-ResNet-18 builds for CIFAR-shaped inputs and trains a step; BatchNorm behaves. */
class ResNetTrainingStepTest {

    @Test
    void preactResnet18TrainsAStepAndKeepsEvalModeForAttacks() throws IOException {
        ImageDataset data = SyntheticDataset.generate(32, 10, 3, 32, 32, 4);
        ModelCard card = new ModelCard(ModelCard.FORMAT, "preact-resnet18", 8, "relu", 1, new int[] {3, 32, 32},
                data.classNames(), Normalization.of(data), data.name(), null, null, null, 0, "t", null);
        try (BlockClassifier model = SavedModel.create(card, 0);
                NDManager manager = NDManager.newBaseManager()) {
            NDArray x = data.batch(manager, 0, 4).x();
            float[] before = model.logits(x).toFloatArray();
            assertThat(model.logits(x).toFloatArray()).as("eval mode: deterministic, no stats update")
                    .containsExactly(before);
            Parameter runningMean = model.block().getParameters().values().stream()
                    .filter(p -> p.getType() == Parameter.Type.RUNNING_MEAN).findFirst().orElseThrow();
            float[] statsBefore = runningMean.getArray().toFloatArray();

            List<EpochMetrics> history = new Trainer(TrainingSettings.builder().optBatchSize(32)
                    .optOptimizer("sgd").optLearningRate(0.01f).build(), new StandardObjective(),
                    TrainingListener.NONE).fit(model, data, null, false);

            assertThat(history.get(0).loss()).isFinite();
            assertThat(runningMean.getArray().toFloatArray()).as("training updates BatchNorm statistics")
                    .isNotEqualTo(statsBefore);
            assertThat(model.logits(x).toFloatArray()).as("the step changed the model").isNotEqualTo(before);
            assertThat(model.logits(x).getShape()).isEqualTo(new Shape(4, 10));
        }
    }
}
