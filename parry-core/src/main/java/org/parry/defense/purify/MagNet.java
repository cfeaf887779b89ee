package org.parry.defense.purify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.parry.Versions;
import org.parry.data.ImageDataset;
import org.parry.defense.purify.DenoisingAutoencoder.Architecture;
import org.parry.detect.Threshold;
import org.parry.io.AtomicFiles;
import org.parry.model.Classifier;
import org.parry.model.SavedModel;
import org.parry.train.EpochMetrics;
import org.parry.train.TrainingListener;

/**
 * MagNet (Meng and Chen, "MagNet: a two-pronged defense against adversarial examples", ACM CCS
 * 2017): detectors that reject inputs far from the manifold of clean data, and a reformer that
 * moves the accepted ones onto it before an unchanged classifier sees them. As the authors' MNIST
 * code builds it:
 * <ul>
 *   <li>two denoising autoencoders ({@link DenoisingAutoencoder}), AE-I and AE-II, trained on
 *       clean images with noise v = 0.1 ({@link AutoencoderTraining});
 *   <li>the detectors {@code error-I}, E_2 on AE-I, and {@code error-II}, E_1 on AE-II ({@link
 *       ReconstructionError}); {@link #withDivergence} adds the CIFAR-10 defense's
 *       {@code jsd-T10} and {@code jsd-T40} ({@link ProbabilityDivergence}), which need the
 *       classifier;
 *   <li>each detector's threshold θ_d fitted on clean validation images at a drop rate q
 *       ({@link org.parry.detect.Threshold}), and the decision
 *       <pre>  reject x  ⇔  ∃ d: score_d(x) > θ_d</pre>
 *   <li>the reformer x ↦ clip(AE-I(x), 0, 1) ({@link Reformer}, a pipeline stage); with several
 *       AE-I trained jointly for diversity ({@link MagNetSettings#reformers()}), one picked at
 *       random per query, the paper's gray-box defense (the detectors then use the first).
 * </ul>
 * Train with {@link #train}, keep with {@link #save} and {@link #load}; {@code
 * Pipeline.builder(network).add(magnet.reformer())} is the reformer and classifier, and {@link
 * #rejects} the detector. A MagNet owns its autoencoders and closes them; the stages from {@link
 * #reformer()} and the view from {@link #withDivergence} share them. Not thread-safe.
 */
public final class MagNet implements AutoCloseable {

    /** The card's file name inside a MagNet directory. */
    public static final String CARD_FILE = "magnet.json";

    /** The layout version of {@link #CARD_FILE} this Parry writes and reads. */
    public static final int FORMAT = 1;

    private static final String SECOND_FILE = "ae-ii.params";

    /**
     * What {@link #CARD_FILE} holds beside the weights.
     *
     * @param format the layout version
     * @param settings how MagNet was trained
     * @param imageShape (C, H, W) of its images
     * @param dataset the training data's name
     * @param datasetSha256 the training data's SHA-256
     * @param thresholds θ of each reconstruction detector, by name
     * @param history per autoencoder group ({@code ae-i}, {@code ae-ii}), one entry per epoch
     * @param parryVersion the Parry version that wrote it
     * @param createdAt ISO-8601 time of training
     */
    record Card(int format, MagNetSettings settings, int[] imageShape, String dataset,
            String datasetSha256, Map<String, Float> thresholds,
            Map<String, List<EpochMetrics>> history, String parryVersion, String createdAt) {}

    private final Card card;
    private final List<DenoisingAutoencoder> reformers;
    private final DenoisingAutoencoder second;
    private final List<MagNetDetector> detectors;
    private final float[] thresholds;
    private final boolean owner;

    private MagNet(Card card, List<DenoisingAutoencoder> reformers, DenoisingAutoencoder second,
            List<MagNetDetector> detectors, float[] thresholds, boolean owner) {
        this.card = card;
        this.reformers = List.copyOf(reformers);
        this.second = second;
        this.detectors = List.copyOf(detectors);
        this.thresholds = thresholds.clone();
        this.owner = owner;
    }

    /**
     * Trains MagNet's autoencoders on {@code train} and fits its detectors' thresholds on {@code
     * validation}, which should be clean images the autoencoders never saw. The listener hears two
     * runs: the AE-I reformers', then AE-II's.
     *
     * @throws IllegalArgumentException when the two sets' images differ in shape
     */
    public static MagNet train(ImageDataset train, ImageDataset validation,
            MagNetSettings settings, TrainingListener listener) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(listener, "listener");
        Shape shape = train.imageShape();
        if (!validation.imageShape().equals(shape)) {
            throw new IllegalArgumentException("magnet: the validation images have shape "
                    + validation.imageShape() + ", the training images " + shape);
        }
        List<DenoisingAutoencoder> reformers = new ArrayList<>();
        List<DenoisingAutoencoder> created = new ArrayList<>();
        try {
            for (int i = 0; i < settings.reformers(); i++) {
                reformers.add(DenoisingAutoencoder.create(Architecture.AE_I, shape,
                        settings.training().seed() + i));
            }
            created.addAll(reformers);
            DenoisingAutoencoder second = DenoisingAutoencoder.create(Architecture.AE_II, shape,
                    settings.training().seed() + settings.reformers());
            created.add(second);
            Map<String, List<EpochMetrics>> history = new LinkedHashMap<>();
            history.put(Architecture.AE_I.id(), AutoencoderTraining.fit(reformers, train,
                    settings.noise(), reformers.size() > 1 ? settings.diversity() : 0f,
                    settings.training(), listener));
            history.put(Architecture.AE_II.id(), AutoencoderTraining.fit(List.of(second), train,
                    settings.noise(), 0f, settings.training(), listener));
            List<MagNetDetector> detectors = reconstructionDetectors(reformers.get(0), second);
            float[] thresholds = fitThresholds(detectors, validation, settings);
            Map<String, Float> byName = new LinkedHashMap<>();
            for (int d = 0; d < detectors.size(); d++) {
                byName.put(detectors.get(d).name(), thresholds[d]);
            }
            Card card = new Card(FORMAT, settings, toInts(shape), train.name(), train.sha256(),
                    byName, history, Versions.parry(), Instant.now().toString());
            return new MagNet(card, reformers, second, detectors, thresholds, true);
        } catch (RuntimeException e) {
            created.forEach(DenoisingAutoencoder::close);
            throw e;
        }
    }

    /** The detectors of the MNIST defense: E_2 on AE-I and E_1 on AE-II. */
    private static List<MagNetDetector> reconstructionDetectors(Autoencoder first,
            Autoencoder second) {
        return List.of(new ReconstructionError("error-I", first, 2f),
                new ReconstructionError("error-II", second, 1f));
    }

    /**
     * This MagNet with the probability-divergence detectors of its CIFAR-10 defense added, one per
     * temperature (the paper: 10 and 40), on AE-I and {@code classifier}, their thresholds fitted
     * on {@code validation} at the same drop rate. The result shares this MagNet's autoencoders
     * and the classifier, and closes neither. {@link #save} keeps only the reconstruction
     * detectors, since these depend on the classifier: attach them again after {@link #load}.
     */
    public MagNet withDivergence(Classifier classifier, ImageDataset validation,
            float... temperatures) {
        List<MagNetDetector> added = divergenceDetectors(classifier, temperatures);
        return joined(added, fitThresholds(added, validation, card.settings()));
    }

    /**
     * This MagNet with the probability-divergence detectors at {@code temperatures} and the
     * thresholds {@link #withDivergence(Classifier, ImageDataset, float...)} fitted for them, kept
     * by a caller that saved them (this MagNet's card holds only the reconstruction detectors').
     *
     * @param thresholds θ per temperature, in the same order
     */
    public MagNet withDivergence(Classifier classifier, float[] temperatures, float[] thresholds) {
        if (thresholds.length != temperatures.length) {
            throw new IllegalArgumentException("magnet: " + thresholds.length + " thresholds for "
                    + temperatures.length + " temperatures");
        }
        return joined(divergenceDetectors(classifier, temperatures), thresholds);
    }

    private List<MagNetDetector> divergenceDetectors(Classifier classifier,
            float[] temperatures) {
        if (!classifier.inputShape().equals(imageShape())) {
            throw new IllegalArgumentException("magnet: classifier '" + classifier.name()
                    + "' takes images of shape " + classifier.inputShape() + ", MagNet was trained"
                    + " on " + imageShape());
        }
        List<MagNetDetector> added = new ArrayList<>();
        for (float temperature : temperatures) {
            String name = "jsd-T" + (temperature == Math.rint(temperature)
                    ? String.valueOf((long) temperature) : String.valueOf(temperature));
            if (detectors.stream().anyMatch(d -> d.name().equals(name))
                    || added.stream().anyMatch(d -> d.name().equals(name))) {
                throw new IllegalArgumentException("magnet: temperature " + temperature
                        + " given twice");
            }
            added.add(new ProbabilityDivergence(name, reformers.get(0), classifier, temperature));
        }
        return added;
    }

    private MagNet joined(List<MagNetDetector> added, float[] addedThresholds) {
        List<MagNetDetector> all = new ArrayList<>(detectors);
        all.addAll(added);
        float[] allThresholds = Arrays.copyOf(thresholds, all.size());
        System.arraycopy(addedThresholds, 0, allThresholds, thresholds.length,
                addedThresholds.length);
        return new MagNet(card, reformers, second, all, allThresholds, false);
    }

    private static float[] fitThresholds(List<MagNetDetector> detectors, ImageDataset validation,
            MagNetSettings settings) {
        int batchSize = settings.training().batchSize();
        float[][] scores = new float[detectors.size()][validation.size()];
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int b = 0; b < validation.numBatches(batchSize); b++) {
                try (NDManager step = manager.newSubManager()) {
                    NDArray x = validation.batchNumber(step, b, batchSize).x();
                    for (int d = 0; d < detectors.size(); d++) {
                        float[] batch = detectors.get(d).scores(x).toFloatArray();
                        System.arraycopy(batch, 0, scores[d], b * batchSize, batch.length);
                    }
                }
            }
        }
        float[] thresholds = new float[detectors.size()];
        for (int d = 0; d < detectors.size(); d++) {
            thresholds[d] = Threshold.atFalsePositiveRate(scores[d], settings.dropRate());
        }
        return thresholds;
    }

    /** How MagNet was trained. */
    public MagNetSettings settings() {
        return card.settings();
    }

    /** (C, H, W) of the images MagNet was trained on. */
    public Shape imageShape() {
        return shape(card);
    }

    /** The training history per autoencoder group ({@code ae-i}, {@code ae-ii}). */
    public Map<String, List<EpochMetrics>> history() {
        return card.history();
    }

    /** The detectors, in the order of {@link #thresholds()} and the columns of {@link #scores}. */
    public List<MagNetDetector> detectors() {
        return detectors;
    }

    /** θ_d per detector, fitted at the drop rate on clean validation images. */
    public float[] thresholds() {
        return thresholds.clone();
    }

    /**
     * Every detector's score of a batch.
     *
     * @param x [N, C, H, W] pixels in [0, 1]
     * @return [N, D] float32, column d from detector d, in {@code x}'s manager
     */
    public NDArray scores(NDArray x) {
        Shape shape = x.getShape();
        if (shape.dimension() != 4 || !shape.slice(1).equals(imageShape())) {
            throw new IllegalArgumentException("magnet: expected a batch [N, " + imageShape()
                    + "] of the images it was trained on, got " + shape);
        }
        NDManager caller = x.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(x);
            NDList columns = new NDList();
            detectors.forEach(detector -> columns.add(detector.scores(x)));
            NDArray scores = NDArrays.stack(columns, 1);
            scores.attach(caller);
            return scores;
        }
    }

    /**
     * Whether MagNet rejects each input of a batch: some detector's score exceeds its threshold.
     *
     * @param x [N, C, H, W] pixels in [0, 1]
     * @return [N] boolean, in {@code x}'s manager
     */
    public NDArray rejects(NDArray x) {
        NDManager caller = x.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(x);
            NDArray over = scores(x).gt(scope.create(thresholds));
            NDArray rejected = over.toType(DataType.INT32, false).sum(new int[] {1}).gt(0);
            rejected.attach(caller);
            return rejected;
        }
    }

    /**
     * The reformer as a pipeline stage: AE-I, or with several reformers one picked at random per
     * forward pass. It shares this MagNet's autoencoders and does not close them.
     */
    public Reformer reformer() {
        return new Reformer(reformers, Map.of("reformers", reformers.size()), false);
    }

    /**
     * The stage of one reformer alone, for the gray-box experiment: an attack crafted through
     * reformer i, tested on each of them and on the random choice.
     */
    public Reformer reformer(int index) {
        Objects.checkIndex(index, reformers.size());
        return new Reformer(List.of(reformers.get(index)), Map.of("reformer", index), false);
    }

    /**
     * Writes the card and every autoencoder's weights into {@code directory}, each file through
     * a temporary file and a move, the card last.
     */
    public void save(Path directory) throws IOException {
        for (int i = 0; i < reformers.size(); i++) {
            reformers.get(i).save(directory.resolve(reformerFile(i)));
        }
        second.save(directory.resolve(SECOND_FILE));
        AtomicFiles.write(directory.resolve(CARD_FILE),
                out -> SavedModel.json().writeValue(out, card));
    }

    /**
     * Loads what {@link #save} wrote: the autoencoders, the reconstruction detectors and their
     * thresholds.
     *
     * @throws IOException naming the file and the fix, for a missing directory, a directory that
     *     holds no MagNet (a model's, say), or a damaged card or weights file
     */
    public static MagNet load(Path directory) throws IOException {
        Card card = readCard(directory);
        List<DenoisingAutoencoder> loaded = new ArrayList<>();
        try {
            List<DenoisingAutoencoder> reformers = readReformers(directory, card);
            loaded.addAll(reformers);
            DenoisingAutoencoder second = DenoisingAutoencoder.load(Architecture.AE_II,
                    shape(card), directory.resolve(SECOND_FILE));
            loaded.add(second);
            List<MagNetDetector> detectors = reconstructionDetectors(reformers.get(0), second);
            float[] thresholds = new float[detectors.size()];
            for (int d = 0; d < detectors.size(); d++) {
                Float threshold = card.thresholds().get(detectors.get(d).name());
                if (threshold == null) {
                    throw new IOException(directory.resolve(CARD_FILE) + ": no threshold for"
                            + " detector " + detectors.get(d).name() + "; the card is damaged:"
                            + " train MagNet again");
                }
                thresholds[d] = threshold;
            }
            return new MagNet(card, reformers, second, detectors, thresholds, true);
        } catch (IOException | RuntimeException e) {
            loaded.forEach(DenoisingAutoencoder::close);
            throw e;
        }
    }

    /**
     * The reformer of a saved MagNet as a pipeline stage that owns its autoencoders, for {@code
     * --defense magnet:dir=PATH}; its settings name the directory.
     */
    public static Reformer loadReformer(Path directory) throws IOException {
        List<DenoisingAutoencoder> reformers = readReformers(directory, readCard(directory));
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("dir", directory.toString());
        return new Reformer(reformers, settings, true);
    }

    private static List<DenoisingAutoencoder> readReformers(Path directory, Card card)
            throws IOException {
        List<DenoisingAutoencoder> reformers = new ArrayList<>();
        try {
            for (int i = 0; i < card.settings().reformers(); i++) {
                reformers.add(DenoisingAutoencoder.load(Architecture.AE_I, shape(card),
                        directory.resolve(reformerFile(i))));
            }
            return reformers;
        } catch (IOException | RuntimeException e) {
            reformers.forEach(DenoisingAutoencoder::close);
            throw e;
        }
    }

    private static Card readCard(Path directory) throws IOException {
        Path file = directory.resolve(CARD_FILE);
        if (!Files.isDirectory(directory)) {
            throw new NoSuchFileException(directory.toString(), null, "no MagNet here: expected"
                    + " the directory a trained MagNet was saved to (MagNet.save)");
        }
        if (!Files.isRegularFile(file)) {
            String found = Files.isRegularFile(directory.resolve(SavedModel.CARD_FILE))
                    ? "it holds a classifier (" + SavedModel.CARD_FILE + "), not a MagNet"
                    : "it has no " + CARD_FILE;
            throw new NoSuchFileException(directory.toString(), null, found + "; pass the"
                    + " directory a trained MagNet was saved to (MagNet.save)");
        }
        Card card;
        try {
            card = SavedModel.json().readValue(file.toFile(), Card.class);
        } catch (com.fasterxml.jackson.core.JacksonException | IllegalArgumentException e) {
            throw new IOException(file + ": not a valid MagNet card (" + e.getMessage()
                    .strip().split("\\R")[0] + "); the file is damaged: train MagNet again", e);
        }
        if (card.format() > FORMAT) {
            throw new IOException(file + ": MagNet format " + card.format() + " is newer than"
                    + " this Parry understands (" + FORMAT + "); upgrade Parry");
        }
        if (card.settings() == null || card.imageShape() == null
                || card.imageShape().length != 3 || card.thresholds() == null) {
            throw new IOException(file + ": not a valid MagNet card (settings, imageShape or"
                    + " thresholds missing); the file is damaged: train MagNet again");
        }
        return card;
    }

    private static String reformerFile(int index) {
        return "ae-i-" + index + ".params";
    }

    private static Shape shape(Card card) {
        return new Shape(Arrays.stream(card.imageShape()).asLongStream().toArray());
    }

    private static int[] toInts(Shape shape) {
        return Arrays.stream(shape.getShape()).mapToInt(Math::toIntExact).toArray();
    }

    /** Closes the autoencoders, unless this is a view from {@link #withDivergence}. */
    @Override
    public void close() {
        if (owner) {
            reformers.forEach(DenoisingAutoencoder::close);
            second.close();
        }
    }
}
