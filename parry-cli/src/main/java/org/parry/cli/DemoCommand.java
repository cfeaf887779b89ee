package org.parry.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.parry.data.DataSets;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.eval.EvaluationSettings;
import org.parry.eval.SanityLevel;
import org.parry.eval.Suite;
import org.parry.io.DirectoryLock;
import org.parry.norm.Norm;
import org.parry.model.BlockClassifier;
import org.parry.model.ModelCard;
import org.parry.model.SavedModel;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.report.EvaluationJob;
import org.parry.train.StandardObjective;
import org.parry.train.TrainingJob;
import org.parry.train.TrainingSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code parry demo}: the main job on a fresh machine. Trains {@code small-cnn} on Fashion-MNIST
 * (or reuses the model a previous demo saved), then evaluates its robustness with the quick suite
 * and with AutoAttack at L∞ ε = 0.1 on 500 test points, writing a report for each; an interrupted
 * demo resumes its evaluations from their journals.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Train small-cnn on Fashion-MNIST (or reuse it) and write robustness reports.")
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

    @Option(names = "--eps", defaultValue = "0.1", description = "L∞ budget of the evaluation (default: ${DEFAULT-VALUE}).")
    float epsilon;

    @Option(names = "--n", defaultValue = "500", description = "Test points evaluated (default: ${DEFAULT-VALUE}).")
    int points;

    @Override
    public Integer call() throws Exception {
        Path modelDir = output.resolve("small-cnn");
        ImageDataset test = DataSets.load("fashion-mnist", dataDir, Split.TEST);
        if (retrain || !SavedModel.isSavedModel(modelDir)) {
            ImageDataset train = DataSets.load("fashion-mnist", dataDir, Split.TRAIN);
            System.err.println("training small-cnn on Fashion-MNIST (1 epoch, Adam)");
            TrainingSettings settings = TrainingSettings.builder().optSeed(seed).build();
            TrainCommand.train(new TrainingJob("small-cnn", ArchitectureOptions.DEFAULT, train, test,
                    settings, new StandardObjective(), null, modelDir), false);
        } else {
            System.err.println("reusing the model of an earlier demo in " + modelDir
                    + " (--retrain to train again)");
        }
        ModelCard card = SavedModel.readCard(modelDir);
        System.out.printf(Locale.ROOT, "small-cnn on Fashion-MNIST (trained %s): test accuracy %.4f%n%n",
                card.createdAt(), card.metrics().getOrDefault("test_accuracy", Double.NaN));
        ImageDataset evaluated = test.first(Math.min(points, test.size()));
        try (BlockClassifier model = SavedModel.load(modelDir)) {
            for (String suite : List.of("quick", "autoattack")) {
                System.err.printf("evaluating with the %s suite at linf eps=%s on %d test points%n",
                        suite, epsilon, evaluated.size());
                EvaluationSettings settings = new EvaluationSettings(Suite.parse(suite), Norm.LINF,
                        new float[] {epsilon}, seed, 250);
                Path report = output.resolve("report").resolve(suite);
                try (DirectoryLock lock = DirectoryLock.acquire(report, "report directory")) {
                    EvaluationSummary.print(new EvaluationJob(model, modelDir, evaluated, settings,
                            report, SanityLevel.QUICK).run(true, new EvaluationProgress()),
                            System.out);
                }
                System.out.println("report: " + report.resolve("index.html"));
                System.out.println();
            }
        }
        System.out.printf("model saved in %s (parry info --model %s)%n", modelDir, modelDir);
        return 0;
    }
}
