package org.parry.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.parry.model.BlockClassifier;
import org.parry.model.SavedModel;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.train.TrainingRecipe;

/**
 * The models {@link BlackBoxTable} attacks, trained once into its work directory and loaded from
 * there afterwards (training time is not part of the page). On each data set: a standard
 * small-cnn (the target "A"), two static models that only ensemble adversarial training sees
 * (an MLP and LeNet-5), a held-out source "B" of another architecture that no target's training
 * sees (madry-cnn), and two adversarially trained small-cnns at the page's ε: FGSM adversarial
 * training ("A_adv", Goodfellow et al.'s mixed loss with predicted labels) and ensemble
 * adversarial training with the static models ("A_adv-ens", Tramèr et al. 2018).
 */
final class BlackBoxModels {

    /** The models by id, in the order they are trained. */
    static final List<String> IDS = List.of("a", "static-mlp", "static-lenet5", "b", "a-adv",
            "a-adv-ens");

    private final Path work;
    private final String dataset;
    private final Path dataDirectory;
    private final float epsilon;
    private final int epochs;
    private final PrintStream log;

    /**
     * @param work where the models are kept, one directory each
     * @param dataDirectory the data set's files, or null for the system location
     * @param epochs epochs of the standard target A; the adversarially trained targets get half
     *     (each of their epochs costs about two of A's), the static models and B one
     */
    BlackBoxModels(Path work, String dataset, Path dataDirectory, float epsilon, int epochs,
            PrintStream log) {
        this.work = work;
        this.dataset = dataset;
        this.dataDirectory = dataDirectory;
        this.epsilon = epsilon;
        this.epochs = epochs;
        this.log = log;
    }

    /** Trains the model {@code id} unless the work directory holds it. */
    void prepare(String id) throws IOException {
        Path directory = directory(id);
        if (!SavedModel.isSavedModel(directory)) {
            TrainingRecipe recipe = recipe(id);
            log.println(dataset + ": training " + id + ": " + recipe.describe() + "...");
            recipe.train(directory, dataDirectory);
        }
    }

    /** The model {@code id}, trained first if the work directory holds none; the caller closes it. */
    BlockClassifier load(String id) throws IOException {
        prepare(id);
        return SavedModel.load(directory(id));
    }

    /** Where the model {@code id} is kept. */
    Path directory(String id) {
        return work.resolve(dataset + "-" + id + "-" + epochs);
    }

    private TrainingRecipe recipe(String id) {
        ArchitectureOptions relu = ArchitectureOptions.DEFAULT;
        int half = Math.max(1, epochs / 2);
        return switch (id) {
            case "a" -> standard("small-cnn", epochs, 0);
            case "static-mlp" -> standard("mlp", 1, 1);
            case "static-lenet5" -> standard("lenet5", 1, 2);
            case "b" -> standard("madry-cnn", 1, 3);
            case "a-adv" -> new TrainingRecipe("small-cnn", relu, "fgsm-mixed", epsilon, Map.of(),
                    dataset, 60_000, half, 0, false);
            case "a-adv-ens" -> new TrainingRecipe("small-cnn", relu, "ensemble-at", epsilon,
                    Map.of("sources", directory("static-mlp") + "," + directory("static-lenet5")),
                    dataset, 60_000, half, 0, false);
            default -> throw new IllegalArgumentException("no black-box model '" + id + "'");
        };
    }

    private TrainingRecipe standard(String architecture, int epochs, long seed) {
        return new TrainingRecipe(architecture, ArchitectureOptions.DEFAULT, "standard", null,
                Map.of(), dataset, 60_000, epochs, seed, false);
    }
}
