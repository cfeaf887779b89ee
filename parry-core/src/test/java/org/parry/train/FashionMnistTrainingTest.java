package org.parry.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.eval.ConfusionMatrix;
import org.parry.model.BlockClassifier;
import org.parry.model.ModelCard;
import org.parry.model.Normalization;
import org.parry.model.SavedModel;
import org.parry.testing.FashionMnist;

/** The foundation's accuracy bar: small-cnn, one epoch of Fashion-MNIST, >= 85% test accuracy. */
class FashionMnistTrainingTest {

    @Test
    void smallCnnReaches85PercentInOneEpoch() throws IOException {
        ImageDataset train = FashionMnist.load(Split.TRAIN);
        ImageDataset test = FashionMnist.load(Split.TEST);
        assertThat(train.size()).isEqualTo(60_000);
        Shape shape = train.imageShape();
        ModelCard card = new ModelCard(ModelCard.FORMAT, "small-cnn", 0,
                new int[] {(int) shape.get(0), (int) shape.get(1), (int) shape.get(2)},
                train.classNames(), Normalization.of(train), train.name(), train.sha256(), null,
                null, 0, "test", null);
        try (BlockClassifier model = SavedModel.create(card, 0)) {
            List<EpochMetrics> history = new Trainer(TrainingSettings.builder().build(),
                    new StandardObjective(), TrainingListener.NONE).fit(model, train, null, false);
            double accuracy = ConfusionMatrix.measure(model, test, 500, done -> {}).accuracy();
            System.err.printf("small-cnn, 1 epoch: test accuracy %.4f, %.0f images/s%n",
                    accuracy, history.get(0).imagesPerSecond());
            assertThat(accuracy).isGreaterThanOrEqualTo(0.85);
        }
    }
}
