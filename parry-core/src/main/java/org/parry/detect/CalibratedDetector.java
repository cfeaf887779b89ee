package org.parry.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.parry.Versions;
import org.parry.data.ImageDataset;
import org.parry.io.AtomicFiles;
import org.parry.model.Bounds;
import org.parry.model.Classifier;
import org.parry.model.SavedModel;

/**
 * A fitted detector with its threshold θ at a false-positive rate q on held-out clean images
 * ({@link Threshold}): an input is flagged when its score exceeds θ. Saved like a model, a card
 * ({@value #CARD_FILE}: the detector, every setting, the attacks a supervised one learned from, the
 * classifier it was fitted for, the data, q and θ) beside the detector's arrays; loading it for
 * another classifier is refused. Owns its detector. Not thread-safe.
 */
public final class CalibratedDetector implements AutoCloseable {

    /** The card's file name inside a detector directory. */
    public static final String CARD_FILE = "detector.json";

    /** The layout version of {@link #CARD_FILE} this Parry writes and reads. */
    public static final int FORMAT = 1;

    /**
     * What {@link #CARD_FILE} holds.
     *
     * @param format the layout version
     * @param detector the registry name
     * @param settings the detector's settings
     * @param trainAttacks the attacks whose examples a supervised detector learned from (empty for
     *     an unsupervised one)
     * @param model the classifier's name
     * @param inputShape its (C, H, W)
     * @param numClasses its number of classes
     * @param modelProbe its logits on two fixed inputs, which tell another classifier apart
     * @param dataset the fitting data's name
     * @param datasetSha256 the fitting data's SHA-256
     * @param fitImages clean images fitted on
     * @param validationImages clean images θ was chosen on
     * @param falsePositiveRate q
     * @param threshold θ
     * @param scoreScale σ, the standard deviation of the clean validation scores (at least a
     *     millionth of 1 + |θ|): the unit in which a detector-aware attack measures the distance
     *     to θ
     * @param fitSeconds the fit's wall time, calibration excluded
     * @param parryVersion the Parry version that wrote it
     * @param createdAt ISO-8601 time of fitting
     */
    public record Card(int format, String detector, Map<String, Object> settings,
            List<String> trainAttacks, String model, int[] inputShape, int numClasses,
            float[] modelProbe, String dataset, String datasetSha256, int fitImages,
            int validationImages, double falsePositiveRate, float threshold, float scoreScale,
            double fitSeconds,
            String parryVersion, String createdAt) {}

    private final Detector detector;
    private final Card card;

    private CalibratedDetector(Detector detector, Card card) {
        this.detector = detector;
        this.card = card;
    }

    /**
     * Fits detector {@code name} on {@code data} and chooses its threshold at false-positive rate
     * {@code rate} on {@code validation}, clean images kept apart from the fitting ones.
     *
     * @param settings the detector's own settings
     */
    public static CalibratedDetector fit(String name, FitData data, Map<String, String> settings,
            ImageDataset validation, double rate, int batchSize) {
        Threshold.require(rate);
        Classifier model = data.model();
        if (!validation.imageShape().equals(model.inputShape())) {
            throw new IllegalArgumentException("the validation images have shape "
                    + validation.imageShape() + ", model '" + model.name() + "' takes "
                    + model.inputShape());
        }
        long start = System.nanoTime();
        Detector detector = DetectorRegistry.fit(name, data, settings);
        double seconds = (System.nanoTime() - start) / 1e9;
        try {
            float[] clean = scores(detector, validation, batchSize);
            float threshold = Threshold.atFalsePositiveRate(clean, rate);
            Card card = new Card(FORMAT, name, detector.settings(),
                    List.copyOf(data.adversarial().keySet()), model.name(),
                    dims(model.inputShape()), model.numClasses(), probe(model),
                    data.clean().name(), data.clean().sha256(), data.clean().size(),
                    validation.size(), rate, threshold, scale(clean, threshold), seconds,
                    Versions.parry(),
                    Instant.now().toString());
            return new CalibratedDetector(detector, card);
        } catch (RuntimeException e) {
            detector.close();
            throw e;
        }
    }

    /** The same detector at another threshold: for rates other than the fitted one. */
    public CalibratedDetector recalibrated(ImageDataset validation, double rate, int batchSize) {
        float[] clean = scores(detector, validation, batchSize);
        float threshold = Threshold.atFalsePositiveRate(clean, rate);
        Card c = card;
        return new CalibratedDetector(detector, new Card(c.format(), c.detector(), c.settings(),
                c.trainAttacks(), c.model(), c.inputShape(), c.numClasses(), c.modelProbe(),
                c.dataset(), c.datasetSha256(), c.fitImages(), validation.size(), rate, threshold,
                scale(clean, threshold), c.fitSeconds(), c.parryVersion(), c.createdAt()));
    }

    /** The detector. */
    public Detector detector() {
        return detector;
    }

    /** The card. */
    public Card card() {
        return card;
    }

    /** θ. */
    public float threshold() {
        return card.threshold();
    }

    /** Whether each input's score exceeds θ. */
    public boolean[] flags(NDArray x) {
        try (NDManager scope = x.getManager().newSubManager()) {
            scope.tempAttachAll(x);
            float[] scores = detector.scores(x).toFloatArray();
            boolean[] flags = new boolean[scores.length];
            for (int i = 0; i < scores.length; i++) {
                flags[i] = scores[i] > card.threshold();
            }
            return flags;
        }
    }

    /**
     * The scores of every image of {@code data}, batch by batch, each batch's arrays freed before
     * the next.
     */
    public static float[] scores(Detector detector, ImageDataset data, int batchSize) {
        float[] scores = new float[data.size()];
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int b = 0; b < data.numBatches(batchSize); b++) {
                try (NDManager step = manager.newSubManager()) {
                    float[] batch = detector.scores(data.batchNumber(step, b, batchSize).x())
                            .toFloatArray();
                    System.arraycopy(batch, 0, scores, b * batchSize, batch.length);
                }
            }
        }
        return scores;
    }

    /**
     * The scores of images given as pixels (e.g. adversarial examples read from an {@code .npz}),
     * batch by batch.
     *
     * @param pixels N×C×H×W floats, CHW order within each image
     * @param imageShape (C, H, W)
     */
    public static float[] scores(Detector detector, float[] pixels, Shape imageShape,
            int batchSize) {
        int imageSize = (int) imageShape.size();
        if (pixels.length % imageSize != 0) {
            throw new IllegalArgumentException(pixels.length + " values are not whole images of "
                    + imageShape);
        }
        int n = pixels.length / imageSize;
        float[] scores = new float[n];
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int from = 0; from < n; from += batchSize) {
                int to = Math.min(n, from + batchSize);
                try (NDManager step = manager.newSubManager()) {
                    NDArray x = step.create(Arrays.copyOfRange(pixels, from * imageSize,
                            to * imageSize), new Shape(to - from).addAll(imageShape));
                    float[] batch = detector.scores(x).toFloatArray();
                    System.arraycopy(batch, 0, scores, from, batch.length);
                }
            }
        }
        return scores;
    }

    /** Writes the card and the detector's arrays into {@code directory}. */
    public void save(Path directory) throws IOException {
        Files.createDirectories(directory);
        detector.save(directory);
        AtomicFiles.write(directory.resolve(CARD_FILE),
                out -> SavedModel.json().writeValue(out, card));
    }

    /**
     * Loads a detector saved by {@link #save} for {@code model}.
     *
     * @throws IOException when the directory holds no detector, or one fitted for another model
     */
    public static CalibratedDetector load(Path directory, Classifier model) throws IOException {
        Path file = directory.resolve(CARD_FILE);
        Card card;
        try {
            card = SavedModel.json().readValue(file.toFile(), Card.class);
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new IOException(directory + " holds no " + CARD_FILE + ": not a fitted"
                    + " detector (write one with parry detect fit)");
        }
        if (card.format() != FORMAT) {
            throw new IOException(file + " has format " + card.format() + "; this Parry reads "
                    + FORMAT);
        }
        requireSameModel(card, model, directory);
        Detector detector = DetectorRegistry.load(card.detector(), directory, model,
                card.settings());
        return new CalibratedDetector(detector, card);
    }

    private static void requireSameModel(Card card, Classifier model, Path directory)
            throws IOException {
        float[] probe = probe(model);
        boolean same = card.numClasses() == model.numClasses()
                && Arrays.equals(card.inputShape(), dims(model.inputShape()))
                && card.modelProbe().length == probe.length;
        for (int i = 0; same && i < probe.length; i++) {
            same = Math.abs(probe[i] - card.modelProbe()[i])
                    <= 1e-3f * (1 + Math.abs(card.modelProbe()[i]));
        }
        if (!same) {
            throw new IOException("detector " + directory + " was fitted for model '"
                    + card.model() + "', and '" + model.name() + "' gives other logits: fit a"
                    + " detector for this model (parry detect fit)");
        }
    }

    /** The logits on two fixed inputs of the model's shape, in its bounds. */
    private static float[] probe(Classifier model) {
        Shape shape = model.inputShape();
        int size = (int) shape.size();
        Bounds bounds = model.bounds();
        float[] pixels = new float[2 * size];
        for (int i = 0; i < pixels.length; i++) {
            double unit = i < size ? 0.5 : 0.5 + 0.5 * Math.sin(0.37 * i);
            pixels[i] = (float) (bounds.lower() + unit * (bounds.upper() - bounds.lower()));
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(pixels, new Shape(2, shape.get(0), shape.get(1),
                    shape.get(2)));
            return model.logits(x).toFloatArray();
        }
    }

    private static float scale(float[] clean, float threshold) {
        double mean = 0;
        for (float v : clean) {
            mean += v;
        }
        mean /= clean.length;
        double squares = 0;
        for (float v : clean) {
            squares += (v - mean) * (v - mean);
        }
        double sd = Math.sqrt(squares / Math.max(1, clean.length - 1));
        return (float) Math.max(sd, 1e-6 * (1 + Math.abs(threshold)));
    }

    private static int[] dims(Shape shape) {
        return new int[] {(int) shape.get(0), (int) shape.get(1), (int) shape.get(2)};
    }

    @Override
    public void close() {
        detector.close();
    }

    @Override
    public String toString() {
        return Objects.toString(card.detector()) + " (θ = " + card.threshold() + " at FPR "
                + card.falsePositiveRate() + ")";
    }
}
