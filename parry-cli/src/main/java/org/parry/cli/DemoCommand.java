package org.parry.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.parry.data.DataSets;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.eval.ConfusionMatrix;
import org.parry.model.BlockClassifier;
import org.parry.model.ModelCard;
import org.parry.model.SavedModel;
import org.parry.train.StandardObjective;
import org.parry.train.TrainingJob;
import org.parry.train.TrainingSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code parry demo}: the main job on a fresh machine. Trains {@code small-cnn} on Fashion-MNIST
 * (or reuses the model a previous demo saved) and evaluates it.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Train small-cnn on Fashion-MNIST (or reuse the cached one) and evaluate it.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--data-dir", description = "Directory holding Fashion-MNIST's files "
            + "(default: /usr/share/datasets/fashion-mnist, from Debian's dataset-fashion-mnist).")
    Path dataDir;

    @Option(names = "--out", defaultValue = "runs/demo", description = "Where the demo writes its model (default: ${DEFAULT-VALUE}).")
    Path output;

    @Option(names = "--retrain", description = "Train again even if a model from an earlier demo exists.")
    boolean retrain;

    @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        Path modelDir = output.resolve("small-cnn");
        ImageDataset test = DataSets.load("fashion-mnist", dataDir, Split.TEST);
        if (retrain || !SavedModel.isSavedModel(modelDir)) {
            ImageDataset train = DataSets.load("fashion-mnist", dataDir, Split.TRAIN);
            System.err.println("training small-cnn on Fashion-MNIST (1 epoch, Adam)");
            TrainingSettings settings = TrainingSettings.builder().optSeed(seed).build();
            TrainCommand.train(new TrainingJob("small-cnn", 0, train, test, settings,
                    new StandardObjective(), modelDir), false);
        } else {
            System.err.println("reusing the model of an earlier demo in " + modelDir
                    + " (--retrain to train again)");
        }
        ModelCard card = SavedModel.readCard(modelDir);
        try (BlockClassifier model = SavedModel.load(modelDir)) {
            ConfusionMatrix matrix = Evaluation.measure(model, test, 500);
            System.out.printf(Locale.ROOT, "%nsmall-cnn on Fashion-MNIST, trained %s%n",
                    card.createdAt());
            Evaluation.print(matrix, System.out);
        }
        System.out.printf("%nmodel saved in %s (parry info --model %s)%n", modelDir, modelDir);
        return 0;
    }
}
