package org.parry.testing;

import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.util.List;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.model.BlockClassifier;
import org.parry.model.ModelCard;
import org.parry.model.Normalization;
import org.parry.model.SavedModel;
import org.parry.train.EpochMetrics;
import org.parry.train.StandardObjective;
import org.parry.train.Trainer;
import org.parry.train.TrainingListener;
import org.parry.train.TrainingSettings;

/**
 * One small-cnn trained for one epoch on Fashion-MNIST with Parry's default settings (Adam 1e-3,
 * batch 128, seed 0), built once per test JVM and shared by the tests that need a real model
 * (the training accuracy bar, the attack ordering). Skips, or fails under {@code CI=true}, when
 * the data set is missing, like {@link FashionMnist}.
 */
public final class FashionMnistModels {

    /**
     * The trained model and how its training went.
     *
     * @param model do not close: it is shared
     * @param history one entry per epoch
     * @param trainImages the number of training images
     */
    public record Trained(BlockClassifier model, List<EpochMetrics> history, int trainImages) {}

    private static Trained smallCnn;

    private FashionMnistModels() {}

    /** small-cnn after one epoch on the 60,000 training images (about 30 s on 2 cores). */
    public static synchronized Trained smallCnn() throws IOException {
        if (smallCnn == null) {
            ImageDataset train = FashionMnist.load(Split.TRAIN);
            Shape shape = train.imageShape();
            ModelCard card = new ModelCard(ModelCard.FORMAT, "small-cnn", 0, "relu", 1,
                    new int[] {(int) shape.get(0), (int) shape.get(1), (int) shape.get(2)},
                    train.classNames(), Normalization.of(train), train.name(), train.sha256(), null,
                    null, 0, "test", null);
            BlockClassifier model = SavedModel.create(card, 0);
            List<EpochMetrics> history = new Trainer(TrainingSettings.builder().build(),
                    new StandardObjective(), TrainingListener.NONE).fit(model, train, null, false);
            smallCnn = new Trained(model, List.copyOf(history), train.size());
        }
        return smallCnn;
    }
}
