package org.parry.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import org.parry.data.DataSets;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.model.BlockClassifier;
import org.parry.model.SavedModel;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.train.StandardObjective;
import org.parry.train.TrainingJob;
import org.parry.train.TrainingListener;
import org.parry.train.TrainingSettings;

/**
 * The trained model the evaluation benchmarks attack: {@code small-cnn} after one epoch on
 * Fashion-MNIST with Parry's default training settings (Adam 1e-3, batch 128, seed 0), the model
 * {@code parry demo} trains. Saved in {@value #CACHE} under the working directory on first use and
 * loaded from there afterwards; training time is not part of any benchmark's numbers.
 */
public final class TrainedModels {

    /** Where the model is kept between runs. */
    public static final String CACHE = "runs/bench/small-cnn";

    private TrainedModels() {}

    /** Fashion-MNIST's test split from the system location (Debian's dataset-fashion-mnist). */
    public static ImageDataset fashionMnistTest() throws IOException {
        return DataSets.load("fashion-mnist", null, Split.TEST);
    }

    /**
     * The cached model, trained first if the cache holds none.
     *
     * @param out told where the model comes from
     * @return a classifier the caller closes
     */
    public static BlockClassifier smallCnn(PrintStream out) throws IOException {
        Path directory = Path.of(CACHE);
        if (!SavedModel.isSavedModel(directory)) {
            out.println("  training small-cnn on Fashion-MNIST for one epoch (cached in " + CACHE
                    + "; not timed)");
            long start = System.nanoTime();
            ImageDataset train = DataSets.load("fashion-mnist", null, Split.TRAIN);
            new TrainingJob("small-cnn", ArchitectureOptions.DEFAULT, train, fashionMnistTest(),
                    TrainingSettings.builder().optSeed(0).build(), new StandardObjective(), null,
                    directory).run(false, TrainingListener.NONE, done -> {});
            out.printf("  trained in %.0f s%n", (System.nanoTime() - start) / 1e9);
        } else {
            out.println("  model: " + directory.toAbsolutePath() + " (delete it to retrain)");
        }
        return SavedModel.load(directory);
    }
}
