package org.parry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.parry.data.ImageDataset;
import org.parry.data.SyntheticDataset;
import org.parry.model.BlockClassifier;
import org.parry.model.ModelCard;
import org.parry.model.Normalization;
import org.parry.model.SavedModel;
import org.parry.train.StandardObjective;
import org.parry.train.Trainer;
import org.parry.train.TrainingListener;
import org.parry.train.TrainingSettings;

/**
 * Small trained models shared by the attack tests: a small CNN trained for two epochs on the
 * synthetic data set (test accuracy ~100%, a couple of seconds), built once per test JVM.
 */
public final class TestModels {

    private static BlockClassifier syntheticCnn;
    private static ImageDataset syntheticTest;

    private TestModels() {}

    /** small-cnn (width 8) trained on 2000 synthetic 1x28x28 images of 10 classes. Do not close. */
    public static synchronized BlockClassifier syntheticCnn() {
        if (syntheticCnn == null) {
            ImageDataset train = SyntheticDataset.generate(2000, 10, 1, 28, 28, 1);
            ModelCard card = new ModelCard(ModelCard.FORMAT, "small-cnn", 8, "relu", 1, new int[] {1, 28, 28},
                    train.classNames(), Normalization.of(train), train.name(), null, null, null,
                    0, "test", null);
            BlockClassifier model = SavedModel.create(card, 0);
            try {
                new Trainer(TrainingSettings.builder().optEpochs(2).optBatchSize(64)
                        .optLearningRate(2e-3f).build(), new StandardObjective(),
                        TrainingListener.NONE).fit(model, train, null, false);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            syntheticCnn = model;
        }
        return syntheticCnn;
    }

    /** Held-out synthetic images for {@link #syntheticCnn()}. */
    public static synchronized ImageDataset syntheticTest() {
        if (syntheticTest == null) {
            syntheticTest = SyntheticDataset.generate(200, 10, 1, 28, 28, 2);
        }
        return syntheticTest;
    }
}
