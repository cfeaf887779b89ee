package org.parry.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.parry.data.DataSets;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.defense.DefenseOptions;
import org.parry.defense.DefenseRegistry;
import org.parry.model.ModelCard;
import org.parry.model.zoo.ArchitectureOptions;

/**
 * How one model of an experiment is trained (the defense table's, the architecture table's, and
 * the benchmarks that attack them): an
 * architecture, a defense of {@link DefenseRegistry} with its ε and settings, the first {@code
 * trainSize} training images of a data set, epochs and seed; Parry's default optimizer (Adam
 * 1e-3, batch 128). With {@code monitor}, the last {@value #MONITOR_HELD_OUT} of those images are
 * held out for the catastrophic-overfitting {@link RobustnessMonitor} (PGD accuracy drop 0.2).
 *
 * @param architecture a model-zoo name
 * @param options width, activation, first stride
 * @param defense a {@link DefenseRegistry} name
 * @param epsilon the defense's ε, or null for defenses without one
 * @param settings the defense's settings
 * @param dataset a {@link DataSets} name
 * @param trainSize how many of the first training images to use
 * @param epochs training epochs
 * @param seed training seed (initialization, shuffling, the defense's randomness)
 * @param monitor whether to run with the robustness monitor
 * @param noiseAugmentation Gaussian-noise augmentation ({@link TrainingSettings#noiseAugmentation})
 * @param spartaFrom a saved model whose Sparta modules are reused frozen, or null
 * @param learningRate Adam's learning rate, or 0 for Parry's default (1e-3)
 * @param labelNoise the share of training labels replaced by another class ({@link
 *     TrainingSettings#labelNoise})
 */
public record TrainingRecipe(String architecture, ArchitectureOptions options, String defense,
        Float epsilon, Map<String, String> settings, String dataset, int trainSize, int epochs,
        long seed, boolean monitor, boolean noiseAugmentation, Path spartaFrom,
        float learningRate, float labelNoise) {

    /** A recipe without noise augmentation or Sparta transfer. */
    public TrainingRecipe(String architecture, ArchitectureOptions options, String defense,
            Float epsilon, Map<String, String> settings, String dataset, int trainSize,
            int epochs, long seed, boolean monitor) {
        this(architecture, options, defense, epsilon, settings, dataset, trainSize, epochs, seed,
                monitor, false, null, 0f, 0f);
    }

    /** A recipe without label noise. */
    public TrainingRecipe(String architecture, ArchitectureOptions options, String defense,
            Float epsilon, Map<String, String> settings, String dataset, int trainSize,
            int epochs, long seed, boolean monitor, boolean noiseAugmentation, Path spartaFrom,
            float learningRate) {
        this(architecture, options, defense, epsilon, settings, dataset, trainSize, epochs, seed,
                monitor, noiseAugmentation, spartaFrom, learningRate, 0f);
    }

    /** This recipe with a share of its training labels replaced by other classes. */
    public TrainingRecipe withLabelNoise(float rate) {
        return new TrainingRecipe(architecture, options, defense, epsilon, settings, dataset,
                trainSize, epochs, seed, monitor, noiseAugmentation, spartaFrom, learningRate,
                rate);
    }

    /** Training images the monitor holds out. */
    public static final int MONITOR_HELD_OUT = 512;

    /** One line, e.g. "pgd-at small-cnn on 20000 fashion-mnist images for 4 epochs". */
    public String describe() {
        return defense + (epsilon == null ? "" : " (eps " + epsilon + ")") + " " + architecture
                + " on " + trainSize + " " + dataset + " images for " + epochs + " epochs"
                + (monitor ? " with the robustness monitor" : "")
                + (labelNoise == 0f ? "" : " with " + Math.round(100 * labelNoise)
                        + "% label noise")
                + (noiseAugmentation ? " with Gaussian-noise augmentation" : "")
                + (learningRate == 0f ? "" : " at learning rate " + learningRate)
                + (spartaFrom == null ? "" : " reusing the Sparta modules of " + spartaFrom);
    }

    /**
     * Trains and saves the model in {@code directory}, continuing from its checkpoint when an
     * earlier training there was interrupted.
     *
     * @param dataDirectory where the data set's files are, or null for the system location
     */
    public void train(Path directory, Path dataDirectory) throws IOException {
        ImageDataset train = DataSets.load(dataset, dataDirectory, Split.TRAIN).first(trainSize);
        ImageDataset test = DataSets.load(dataset, dataDirectory, Split.TEST);
        TrainingSettings training = TrainingSettings.builder().optEpochs(epochs).optSeed(seed)
                .optNoiseAugmentation(noiseAugmentation)
                .optSpartaFrom(spartaFrom == null ? null : spartaFrom.toString())
                .optLearningRate(learningRate == 0f ? 1e-3f : learningRate)
                .optLabelNoise(labelNoise).build();
        try (TrainingObjective objective = DefenseRegistry.create(defense,
                new DefenseOptions(epsilon, settings), train.imageShape())) {
            RobustnessMonitor watch = null;
            ImageDataset trainOn = train;
            if (monitor) {
                watch = RobustnessMonitor.onLastImages(train, MONITOR_HELD_OUT, epsilon, 0.2);
                trainOn = train.first(train.size() - MONITOR_HELD_OUT);
            }
            new TrainingJob(architecture, options, trainOn, test, training, objective, watch,
                    directory).run(true, TrainingListener.NONE, done -> {});
        }
    }

    /**
     * What in a saved model's card contradicts this recipe (architecture, defense, seed, epochs,
     * training images), or null when nothing does: a cached model is reused only when it is the
     * model this recipe trains.
     */
    public String mismatch(ModelCard card) {
        Map<String, Object> training = card.training();
        int trainedOn = trainSize - (monitor ? MONITOR_HELD_OUT : 0);
        if (!card.architecture().equals(architecture)) {
            return "architecture " + card.architecture() + ", not " + architecture;
        }
        if (!defense.equals(training.get("objective"))) {
            return "defense " + training.get("objective") + ", not " + defense;
        }
        if (card.seed() != seed) {
            return "seed " + card.seed() + ", not " + seed;
        }
        if (!(training.get("epochs") instanceof Number trainedEpochs)
                || trainedEpochs.intValue() != epochs) {
            return "epochs " + training.get("epochs") + ", not " + epochs;
        }
        double noise = training.get("labelNoise") instanceof Number rate ? rate.doubleValue() : 0;
        if ((float) noise != labelNoise) {
            return "label noise " + noise + ", not " + labelNoise;
        }
        if (!(training.get("train_size") instanceof Number size) || size.intValue() != trainedOn) {
            return "trained on " + training.get("train_size") + " images, not " + trainedOn;
        }
        return null;
    }
}
