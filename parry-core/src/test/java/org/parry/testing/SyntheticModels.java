package org.parry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
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
 * Independently trained models of one task, for transfer tests: a zoo architecture trained for
 * two epochs on the 2000 synthetic 1x28x28 images of {@link TestModels#syntheticCnn()} with its
 * own seed (initialization and shuffling), built once per test JVM and key. Do not close them.
 */
public final class SyntheticModels {

    private static final Map<String, BlockClassifier> TRAINED = new HashMap<>();

    private SyntheticModels() {}

    /** {@code architecture} of {@code width} trained with {@code seed}. */
    public static synchronized BlockClassifier trained(String architecture, int width, long seed) {
        return TRAINED.computeIfAbsent(architecture + "/" + width + "/" + seed, key -> {
            ImageDataset train = SyntheticDataset.generate(2000, 10, 1, 28, 28, 1);
            ModelCard card = new ModelCard(ModelCard.FORMAT, architecture, width, "relu", 1,
                    new int[] {1, 28, 28}, train.classNames(), Normalization.of(train),
                    train.name(), null, null, null, seed, "test", null);
            BlockClassifier model = SavedModel.create(card, seed);
            try {
                new Trainer(TrainingSettings.builder().optEpochs(2).optBatchSize(64)
                        .optLearningRate(2e-3f).optSeed(seed).build(), new StandardObjective(),
                        TrainingListener.NONE).fit(model, train, null, false);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return model;
        });
    }
}
