package org.parry.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.parry.data.ImageDataset;
import org.parry.model.BlockClassifier;
import org.parry.train.EpochMetrics;
import org.parry.train.StandardObjective;
import org.parry.train.Trainer;
import org.parry.train.TrainingListener;
import org.parry.train.TrainingObjective;
import org.parry.train.TrainingSettings;

/**
 * Training throughput: {@code small-cnn} trained with {@link Trainer} and the standard
 * (cross-entropy) objective, Parry's default optimizer settings (Adam, lr 1e-3, constant), batch
 * 128, on a random in-memory data set of {@value #BATCHES} batches (1x28x28 pixels, 10 classes).
 * Each epoch is one repetition: the first is the warm-up and is discarded, the others
 * ({@code --quick}: fewer and shorter) are timed by the trainer itself
 * ({@link EpochMetrics#imagesPerSecond()}, wall time of the epoch's steps including batch
 * assembly, forward, backward, optimizer update; no checkpoints).
 *
 * <p>Achieved GFLOP/s use {@code 3F} per image ({@link FlopCounter.Count#trainingFlops()}: forward,
 * gradients with respect to activations and to weights), compared with the sgemm roofline of the
 * same run.
 */
public final class TrainingBenchmark implements Benchmark {

    public static final String MODEL = "small-cnn";
    public static final int BATCH = 128;
    public static final int BATCHES = 20;
    public static final int TIMED_EPOCHS = 5;

    @Override
    public String name() {
        return "training";
    }

    @Override
    public String description() {
        return "images/s of training " + MODEL + " with org.parry.train.Trainer (batch " + BATCH
                + ", " + BATCHES + " batches per repetition)";
    }

    @Override
    public Map<String, Object> run(BenchContext context) throws Exception {
        int batches = context.quick() ? 5 : BATCHES;
        int timedEpochs = context.quick() ? 3 : TIMED_EPOCHS;
        ImageDataset data = randomDataset(batches * BATCH, 10, 7);
        TrainingSettings settings = TrainingSettings.builder()
                .optEpochs(1 + timedEpochs).optBatchSize(BATCH).optSeed(1).build();
        List<EpochMetrics> history;
        long forwardFlops;
        try (BlockClassifier model = Models.initialized(MODEL, Models.MNIST, 10, 42)) {
            forwardFlops = FlopCounter.count(model.block(), Models.MNIST).forwardFlops();
            history = new Trainer(settings, new StandardObjective(), TrainingListener.NONE)
                    .fit(model, data, null, false);
        }
        double[] imagesPerSecond = new double[timedEpochs];
        for (int e = 0; e < timedEpochs; e++) {
            imagesPerSecond[e] = history.get(e + 1).imagesPerSecond();
        }
        Stats images = Stats.of(imagesPerSecond);
        long flopsPerImage = 3 * forwardFlops;
        Stats gflops = images.scale(flopsPerImage / 1e9);
        double roofline = context.roofline().orElse(Double.NaN);
        double fraction = gflops.median() / roofline;
        new Table("model", "optimizer", "MFLOP/img (3F)", "images/s (median, min..max, spread)",
                "GFLOP/s", "% roofline")
                .row(MODEL, settings.optimizer(), String.format("%.2f", flopsPerImage / 1e6),
                        images.format("%.0f"), String.format("%.1f", gflops.median()),
                        Double.isNaN(fraction) ? "n/a" : String.format("%.1f%%", 100 * fraction))
                .print(context.out());
        context.out().printf("  %d timed epochs of %d batches after 1 warm-up epoch; final loss %.3f%n",
                timedEpochs, batches, history.get(history.size() - 1).loss());

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", MODEL);
        json.put("batch", BATCH);
        json.put("batches_per_repetition", batches);
        json.put("optimizer", settings.optimizer());
        json.put("learning_rate", settings.learningRate());
        json.put("flops_per_image", flopsPerImage);
        json.put("images_per_second", images.toJson());
        json.put("gflops", gflops.toJson());
        json.put("fraction_of_roofline", fraction);
        List<Double> losses = new ArrayList<>();
        for (EpochMetrics metrics : history) {
            losses.add(metrics.loss());
        }
        json.put("epoch_losses", losses);
        return json;
    }

    /** One epoch of training whose throughput is measured. */
    @FunctionalInterface
    interface Epoch {
        /** Trains the epoch; returns its images/s. */
        double imagesPerSecond() throws IOException;
    }

    /**
     * One epoch of {@code data} with {@link Trainer} (batch {@value #BATCH}, Parry's default
     * optimizer, seed 1, no checkpoints). A step's loss is the objective's, with the CIFS probes'
     * joint loss and TisODE's penalty when the network reports them.
     *
     * @return its images/s ({@link EpochMetrics#imagesPerSecond()})
     */
    static double trainEpoch(BlockClassifier model, TrainingObjective objective, ImageDataset data)
            throws IOException {
        TrainingSettings settings = TrainingSettings.builder().optEpochs(1).optBatchSize(BATCH)
                .optSeed(1).build();
        return new Trainer(settings, objective, TrainingListener.NONE).fit(model, data, null, false)
                .get(0).imagesPerSecond();
    }

    /**
     * Runs epochs side by side: each of {@code 1 + repetitions} rounds runs every epoch once in
     * turn, so that the machine's load hits all alike; the first round is the warm-up and is not
     * kept.
     *
     * @return images/s of each epoch's timed rounds, in the epochs' order; the samples of one
     *     round share an index
     */
    static List<Stats> epochsSideBySide(List<Epoch> epochs, int repetitions) throws IOException {
        double[][] rates = new double[epochs.size()][repetitions];
        for (int round = 0; round <= repetitions; round++) {
            for (int e = 0; e < epochs.size(); e++) {
                double imagesPerSecond = epochs.get(e).imagesPerSecond();
                if (round > 0) {
                    rates[e][round - 1] = imagesPerSecond;
                }
            }
        }
        List<Stats> stats = new ArrayList<>();
        for (double[] epochRates : rates) {
            stats.add(Stats.of(epochRates));
        }
        return stats;
    }

    /** Uniform random 8-bit images with uniform random labels. */
    static ImageDataset randomDataset(int size, int classes, long seed) {
        Random random = new Random(seed);
        byte[] pixels = new byte[size * 28 * 28];
        random.nextBytes(pixels);
        int[] labels = new int[size];
        for (int i = 0; i < size; i++) {
            labels[i] = random.nextInt(classes);
        }
        List<String> names = new ArrayList<>();
        for (int k = 0; k < classes; k++) {
            names.add("class-" + k);
        }
        return new ImageDataset("random", 1, 28, 28, pixels, labels, names);
    }
}
