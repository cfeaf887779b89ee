package org.parry.train;

import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntConsumer;
import org.parry.Versions;
import org.parry.data.ImageDataset;
import org.parry.eval.ConfusionMatrix;
import org.parry.model.BlockClassifier;
import org.parry.model.ModelCard;
import org.parry.model.Normalization;
import org.parry.model.SavedModel;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.model.zoo.ModelZoo;

/**
 * The whole of "train a zoo model and save it": build the architecture with a normalization layer
 * fitted to the training data, train with checkpoints in {@code output/checkpoint}, measure test
 * accuracy, and save a self-describing model in {@code output}.
 *
 * @param architecture model-zoo name
 * @param options width, activation and first-layer stride of the architecture
 * @param train training data
 * @param test held-out data for the accuracy in the model card
 * @param settings training settings (the seed also seeds initialization)
 * @param objective what each step minimizes
 * @param monitor the catastrophic-overfitting monitor, or null for none
 * @param output directory of the saved model
 */
public record TrainingJob(String architecture, ArchitectureOptions options, ImageDataset train,
        ImageDataset test, TrainingSettings settings, TrainingObjective objective,
        RobustnessMonitor monitor, Path output) {

    /** Where checkpoints go inside the output directory. */
    public static final String CHECKPOINT_DIRECTORY = "checkpoint";

    public TrainingJob {
        ModelZoo.get(architecture);
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(test, "test");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(objective, "objective");
        Objects.requireNonNull(output, "output");
        if (!train.imageShape().equals(test.imageShape())) {
            throw new IllegalArgumentException("train images are " + train.imageShape()
                    + " but test images are " + test.imageShape());
        }
    }

    /**
     * Checks, before any work, that a job may write into {@code output}: a directory holding a
     * trained model or an unfinished training is replaced only when {@code overwrite} says so,
     * and continued only when {@code resume} says so; {@code resume} needs a checkpoint.
     *
     * @throws IllegalArgumentException naming the directory, what it holds and the choices
     */
    public static void checkOutput(Path output, boolean resume, boolean overwrite)
            throws IOException {
        if (resume && overwrite) {
            throw new IllegalArgumentException("--resume continues the training in " + output
                    + " and --overwrite replaces it; choose one");
        }
        Path checkpoints = output.resolve(CHECKPOINT_DIRECTORY);
        if (resume) {
            if (!Checkpoint.exists(checkpoints)) {
                throw new IllegalArgumentException("--resume: " + checkpoints + " holds no"
                        + " checkpoint to continue from; run without --resume to start a new"
                        + " training");
            }
            return;
        }
        if (overwrite) {
            return;
        }
        if (Checkpoint.exists(checkpoints) || SavedModel.isSavedModel(output)) {
            String holds = SavedModel.isSavedModel(output) ? "a trained model ("
                    + SavedModel.CARD_FILE + ")" : "an unfinished training (checkpoint after epoch "
                    + Checkpoint.read(checkpoints).epochsCompleted() + ")";
            throw new IllegalArgumentException("--out " + output + " holds " + holds + "; pass"
                    + " --resume to continue it, --overwrite to replace it, or choose another"
                    + " --out");
        }
    }

    /**
     * Trains (resuming from the checkpoint if asked and present), evaluates and saves.
     *
     * @param evaluation told the number of test images done, for a progress bar
     * @return the saved model's card, with its metrics
     */
    public ModelCard run(boolean resume, TrainingListener listener, IntConsumer evaluation)
            throws IOException {
        ModelCard card = card();
        try (BlockClassifier model = SavedModel.create(card, settings.seed())) {
            Trainer trainer = new Trainer(settings, objective, listener, monitor);
            List<EpochMetrics> history = trainer.fit(model, train,
                    output.resolve(CHECKPOINT_DIRECTORY), resume);
            EpochMetrics last = history.get(history.size() - 1);
            double seconds = history.stream().mapToDouble(EpochMetrics::seconds).sum();
            double accuracy = ConfusionMatrix.measure(model, test, 500, evaluation).accuracy();
            Map<String, Double> metrics = new LinkedHashMap<>(last.statistics());
            metrics.put("test_accuracy", accuracy);
            metrics.put("test_size", (double) test.size());
            metrics.put("train_loss", last.loss());
            metrics.put("train_accuracy", last.accuracy());
            metrics.put("train_seconds", seconds);
            metrics.put("train_images_per_second", last.imagesPerSecond());
            metrics.put("epochs_trained", (double) history.size());
            ModelCard trained = card.withMetrics(metrics).withTraining("history", history.stream()
                    .map(epoch -> SavedModel.json().convertValue(epoch, Map.class)).toList())
                    .withTraining("backward", trainer.backwardKernels());
            SavedModel.save(output, model, trained);
            return trained;
        }
    }

    private ModelCard card() {
        Shape shape = train.imageShape();
        Map<String, Object> training = new LinkedHashMap<>(
                SavedModel.json().convertValue(settings, Map.class));
        training.put("objective", objective.name());
        Map<String, Object> defense = new LinkedHashMap<>();
        defense.put("name", objective.name());
        defense.put("settings", objective.settings());
        training.put("defense", defense);
        training.put("train_size", train.size());
        if (monitor != null) {
            Map<String, Object> watch = new LinkedHashMap<>();
            watch.put("held_out", monitor.heldOut().size());
            watch.put("epsilon", monitor.epsilon());
            watch.put("pgd_steps", monitor.pgdSteps());
            watch.put("drop", monitor.drop());
            training.put("monitor", watch);
        }
        return new ModelCard(ModelCard.FORMAT, architecture, options.width(),
                options.activation().id(), options.firstStride(),
                new int[] {(int) shape.get(0), (int) shape.get(1), (int) shape.get(2)},
                train.classNames(), Normalization.of(train), train.name(), train.sha256(),
                training, Map.of(), settings.seed(), Versions.parry(), Instant.now().toString())
                .withOptions(options);
    }
}
