package org.parry.defense;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.parry.data.ImageDataset;
import org.parry.data.SyntheticDataset;
import org.parry.model.BlockClassifier;
import org.parry.model.ModelCard;
import org.parry.model.Normalization;
import org.parry.model.SavedModel;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.train.EpochMetrics;
import org.parry.train.Trainer;
import org.parry.train.TrainingJob;
import org.parry.train.TrainingListener;
import org.parry.train.TrainingObjective;
import org.parry.train.TrainingSettings;

/** Tiny synthetic training runs for the defense tests. */
final class DefenseTraining {

    static final ImageDataset TRAIN = SyntheticDataset.generate(512, 10, 1, 28, 28, 11);

    private DefenseTraining() {}

    static TrainingSettings settings(int epochs) {
        return TrainingSettings.builder().optEpochs(epochs).optBatchSize(64)
                .optLearningRate(2e-3f).build();
    }

    /** A fresh small-cnn of width 8 for the synthetic images, its weights drawn with {@code seed}. */
    static BlockClassifier freshModel(long seed) {
        return freshModel(seed, ArchitectureOptions.ofWidth(8));
    }

    /** A fresh small-cnn built with these options, its weights drawn with {@code seed}. */
    static BlockClassifier freshModel(long seed, ArchitectureOptions options) {
        ModelCard card = new ModelCard(ModelCard.FORMAT, "small-cnn", 8, "relu", 1,
                new int[] {1, 28, 28}, TRAIN.classNames(), Normalization.of(TRAIN), TRAIN.name(),
                null, null, null, seed, "test", null).withOptions(options);
        return SavedModel.create(card, seed);
    }

    static List<EpochMetrics> train(BlockClassifier model, TrainingObjective objective,
            ImageDataset data, int epochs) {
        try {
            return new Trainer(settings(epochs), objective, TrainingListener.NONE)
                    .fit(model, data, null, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Trains a standard model and saves it, e.g. as a static source or a teacher. */
    static Path saved(Path directory, String architecture, TrainingObjective objective, int epochs)
            throws IOException {
        new TrainingJob(architecture, ArchitectureOptions.ofWidth(8), TRAIN, TRAIN.first(64),
                settings(epochs), objective, null, directory)
                .run(false, TrainingListener.NONE, done -> {});
        return directory;
    }

    /** The model's parameters, serialized, for bit-exact comparisons. */
    static byte[] weights(BlockClassifier model) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            for (Parameter parameter : model.block().getParameters().values()) {
                out.write(new NDList(parameter.getArray()).encode());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
