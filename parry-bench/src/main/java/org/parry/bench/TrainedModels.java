package org.parry.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import org.parry.data.DataSets;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.experiments.DefenseGrid;
import org.parry.model.BlockClassifier;
import org.parry.model.SavedModel;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.train.StandardObjective;
import org.parry.train.TrainingJob;
import org.parry.train.TrainingListener;
import org.parry.train.TrainingRecipe;
import org.parry.train.TrainingSettings;

/**
 * The trained models the evaluation benchmarks attack, each saved under {@value #DIRECTORY} in the
 * working directory on first use and loaded from there afterwards; training time is not part of
 * any benchmark's numbers:
 *
 * <ul>
 *   <li>{@link #smallCnn}: {@code small-cnn} after one epoch on Fashion-MNIST with Parry's default
 *       training settings (Adam 1e-3, batch 128, seed 0), the model {@code parry demo} trains;
 *   <li>{@link #defended}: a {@code small-cnn} adversarially trained as the defense table's
 *       main section trains it ({@link DefenseGrid#main}).
 * </ul>
 */
public final class TrainedModels {

    /** Where the models are kept between runs, one directory each. */
    public static final String DIRECTORY = "runs/bench";

    /** Where {@link #smallCnn}'s model is kept between runs. */
    public static final String CACHE = DIRECTORY + "/small-cnn";

    /** How to train a model that is not in the cache yet. */
    @FunctionalInterface
    private interface Training {
        void train(Path directory) throws IOException;
    }

    private TrainedModels() {}

    /** Fashion-MNIST's test split from the system location (Debian's dataset-fashion-mnist). */
    public static ImageDataset fashionMnistTest() throws IOException {
        return DataSets.load("fashion-mnist", null, Split.TEST);
    }

    /**
     * The cached standard model, trained first if the cache holds none.
     *
     * @param out told where the model comes from
     * @return a classifier the caller closes
     */
    public static BlockClassifier smallCnn(PrintStream out) throws IOException {
        return cached(directory("small-cnn"), "small-cnn on Fashion-MNIST for one epoch",
                directory -> new TrainingJob("small-cnn", ArchitectureOptions.DEFAULT,
                        DataSets.load("fashion-mnist", null, Split.TRAIN), fashionMnistTest(),
                        TrainingSettings.builder().optSeed(0).build(), new StandardObjective(),
                        null, directory).run(false, TrainingListener.NONE, done -> {}), out);
    }

    /**
     * The cached model {@code id} of the defense table's main section (e.g. {@code pgd-at},
     * {@code fgsm-rs}), kept in {@value #DIRECTORY}/{@code id}, trained first if the cache holds
     * none.
     *
     * @param out told where the model comes from
     * @return a classifier the caller closes
     */
    public static BlockClassifier defended(String id, PrintStream out) throws IOException {
        TrainingRecipe recipe = new DefenseGrid(Path.of("runs", "defenses"), false, 0).main()
                .row(id).recipe();
        return cached(directory(id), recipe.describe(),
                directory -> recipe.train(directory, null), out);
    }

    /** Where the model {@code id} is kept ({@code small-cnn} for {@link #smallCnn}'s). */
    public static Path directory(String id) {
        return Path.of(DIRECTORY, id);
    }

    private static BlockClassifier cached(Path directory, String what, Training training,
            PrintStream out) throws IOException {
        if (!SavedModel.isSavedModel(directory)) {
            out.println("  training " + what + " (cached in " + directory + "; not timed)");
            long start = System.nanoTime();
            training.train(directory);
            out.printf("  trained in %.0f s%n", (System.nanoTime() - start) / 1e9);
        } else {
            out.println("  model: " + directory.toAbsolutePath() + " (delete it to retrain)");
        }
        return SavedModel.load(directory);
    }
}
