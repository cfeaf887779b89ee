package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JacksonException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.parry.data.ImageDataset;
import org.parry.io.AtomicFiles;
import org.parry.io.NpzReader;
import org.parry.io.NpzWriter;
import org.parry.model.Bounds;
import org.parry.model.Classifier;
import org.parry.model.InputCheck;
import org.parry.model.SavedModel;
import org.parry.norm.Norm;

/**
 * A fitted universal adversarial perturbation v ({@link UniversalPerturbation}) with how it was
 * made: Java values only, so it outlives every NDManager, and it can be {@link #save saved} and
 * {@link #load loaded}. {@link #apply} perturbs new images as clip(x + v) into the box of the model
 * it was fitted on; {@link #evaluate} measures it on a data set.
 *
 * @param values v, C×H×W floats in CHW order
 * @param shape (C, H, W)
 * @param bounds the box images are clipped into after adding v
 * @param norm the norm of the constraint
 * @param epsilon ξ, the bound on ||v||
 * @param settings the {@link UniversalPerturbation} settings of the fit
 * @param model the name of the model it was fitted on
 * @param data what it was fitted on, e.g. {@code "fashion-mnist, 1000 images"}
 * @param images the size of the fitting set
 * @param foolingRates the fooling rate on the fitting set after each pass
 * @param deepFoolRuns images DeepFool was run on
 * @param updates DeepFool results added to v (the converged ones)
 * @param gradients images through a forward and backward pass while fitting
 * @param queries images through a forward pass only while fitting
 */
public record Universal(float[] values, Shape shape, Bounds bounds, Norm norm, float epsilon,
        Map<String, Object> settings, String model, String data, int images, double[] foolingRates,
        long deepFoolRuns, long updates, long gradients, long queries) {

    /** The card's file name in a saved perturbation's directory. */
    public static final String CARD_FILE = "universal.json";

    /** The values' file name: an .npz archive with the float32 array {@code v} of shape (C, H, W). */
    public static final String VALUES_FILE = "universal.npz";

    private static final int FORMAT = 1;
    private static final String KIND = "universal-perturbation";

    public Universal {
        if (shape.dimension() != 3 || shape.size() != values.length) {
            throw new IllegalArgumentException("a universal perturbation is (C, H, W) with "
                    + "C·H·W values; got shape " + shape + " and " + values.length + " values");
        }
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    }

    /** The passes made over the fitting set. */
    public int passes() {
        return foolingRates.length;
    }

    /** The fooling rate on the fitting set after the last pass. */
    public double foolingRate() {
        return foolingRates.length == 0 ? 0 : foolingRates[foolingRates.length - 1];
    }

    /** ||v|| in the perturbation's norm (<= ξ up to float rounding). */
    public float magnitude() {
        double sum = 0;
        double max = 0;
        for (float value : values) {
            sum += (double) value * value;
            max = Math.max(max, Math.abs(value));
        }
        return (float) (norm == Norm.LINF ? max : Math.sqrt(sum));
    }

    /** v as an NDArray [1, C, H, W] in {@code manager}. */
    public NDArray perturbation(NDManager manager) {
        return manager.create(values, new Shape(1).addAll(shape));
    }

    /**
     * clip(x + v) into {@link #bounds()}, for a batch x [N, C, H, W]; attached to x's manager.
     *
     * @throws IllegalArgumentException if x's images are not (C, H, W)
     */
    public NDArray apply(NDArray x) {
        Shape image = x.getShape().dimension() == 4 ? x.getShape().slice(1) : x.getShape();
        if (x.getShape().dimension() != 4 || !image.equals(shape)) {
            throw new IllegalArgumentException("the universal perturbation is for images of shape "
                    + shape + ", got a batch of shape " + x.getShape() + "; apply it to images like"
                    + " those it was fitted on");
        }
        try (NDManager scope = x.getManager().newSubManager()) {
            scope.tempAttachAll(x);
            return scope.ret(bounds.clip(x.add(perturbation(scope))));
        }
    }

    /**
     * What v does to a data set (hold out the images it was fitted on).
     *
     * @param images the number of images
     * @param foolingRate the fraction whose prediction changes, k̂(clip(x + v)) ≠ k̂(x)
     * @param cleanAccuracy the accuracy at x
     * @param accuracy the accuracy at clip(x + v)
     */
    public record Evaluation(int images, double foolingRate, double cleanAccuracy, double accuracy) {}

    /**
     * Measures v on {@code data}: fooling rate against the clean predictions, and the accuracy
     * with and without v.
     *
     * @param batchSize images per forward pass
     */
    public Evaluation evaluate(Classifier classifier, ImageDataset data, int batchSize) {
        InputCheck.requireCompatible(classifier, data);
        if (!data.imageShape().equals(shape)) {
            throw new IllegalArgumentException("the universal perturbation is for images of shape "
                    + shape + ", but " + data.name() + " has " + data.imageShape() + "; apply it to"
                    + " the data set it was fitted for");
        }
        Require.atLeast("batchSize", batchSize, 1);
        try (NDManager scope = NDManager.newBaseManager()) {
            UniversalPerturbation.Images images = UniversalPerturbation.Images.of(data);
            int[] clean = UniversalPerturbation.predictions(classifier, images, null, bounds,
                    batchSize, scope);
            int[] under = UniversalPerturbation.predictions(classifier, images, perturbation(scope),
                    bounds, batchSize, scope);
            int[] labels = data.labels();
            int cleanCorrect = 0;
            int correct = 0;
            for (int i = 0; i < labels.length; i++) {
                cleanCorrect += clean[i] == labels[i] ? 1 : 0;
                correct += under[i] == labels[i] ? 1 : 0;
            }
            return new Evaluation(labels.length, UniversalPerturbation.foolingRate(clean, under),
                    (double) cleanCorrect / labels.length, (double) correct / labels.length);
        }
    }

    /** The JSON card of a saved perturbation; the values are in {@link #VALUES_FILE}. */
    private record Card(int format, String kind, String model, String data, int images, String norm,
            float epsilon, float magnitude, long[] shape, float lower, float upper,
            Map<String, Object> settings, double[] foolingRates, int passes, long deepFoolRuns,
            long updates, long gradients, long queries, String values) {}

    /**
     * Writes {@value #CARD_FILE} (settings, norm, ξ, fooling rates, data set, model) and
     * {@value #VALUES_FILE} (v as the float32 array {@code v}, (C, H, W), for NumPy too) into
     * {@code directory}, each file atomically.
     */
    public void save(Path directory) throws IOException {
        try (NpzWriter npz = NpzWriter.create(directory.resolve(VALUES_FILE))) {
            npz.writeFloat32("v", values, shape.getShape());
        }
        Card card = new Card(FORMAT, KIND, model, data, images, norm.id(), epsilon, magnitude(),
                shape.getShape(), bounds.lower(), bounds.upper(), new LinkedHashMap<>(settings),
                foolingRates, passes(), deepFoolRuns, updates, gradients, queries, VALUES_FILE);
        AtomicFiles.write(directory.resolve(CARD_FILE), out -> SavedModel.json().writeValue(out, card));
    }

    /**
     * Reads a perturbation written by {@link #save}.
     *
     * @param path the directory or its {@value #CARD_FILE}
     * @throws IOException naming the file when it is missing or damaged
     */
    public static Universal load(Path path) throws IOException {
        Path cardFile = Files.isDirectory(path) ? path.resolve(CARD_FILE) : path;
        if (!Files.isRegularFile(cardFile)) {
            throw new NoSuchFileException(cardFile.toString(), null, "no universal perturbation"
                    + " here: expected a directory with " + CARD_FILE + " (write one with 'parry"
                    + " attack --universal --out DIR')");
        }
        Card card;
        try {
            card = SavedModel.json().readValue(cardFile.toFile(), Card.class);
        } catch (JacksonException e) {
            throw new IOException(cardFile + ": not a universal perturbation card ("
                    + e.getOriginalMessage() + "); write it again with 'parry attack --universal'");
        }
        if (!KIND.equals(card.kind()) || card.values() == null || card.shape() == null
                || card.norm() == null) {
            throw new IOException(cardFile + ": not a universal perturbation card (kind '"
                    + card.kind() + "', expected '" + KIND + "' with norm, shape and values)");
        }
        if (card.format() > FORMAT) {
            throw new IOException(cardFile + ": format " + card.format() + " is newer than this"
                    + " Parry understands (" + FORMAT + "); upgrade Parry");
        }
        Path valuesFile = cardFile.toAbsolutePath().getParent().resolve(card.values());
        if (!Files.isRegularFile(valuesFile)) {
            throw new NoSuchFileException(valuesFile.toString(), null, "the values of " + cardFile);
        }
        NpzReader.Float32 v = NpzReader.readFloat32(valuesFile, "v");
        if (!Arrays.equals(v.shape(), card.shape())) {
            throw new IOException(valuesFile + ": v has shape " + Arrays.toString(v.shape())
                    + " but " + cardFile + " says " + Arrays.toString(card.shape()));
        }
        try {
            return new Universal(v.data(), new Shape(card.shape()),
                    new Bounds(card.lower(), card.upper()), Norm.parse(card.norm()), card.epsilon(),
                    card.settings() == null ? Map.of() : card.settings(), card.model(), card.data(),
                    card.images(), card.foolingRates() == null ? new double[0] : card.foolingRates(),
                    card.deepFoolRuns(), card.updates(), card.gradients(), card.queries());
        } catch (IllegalArgumentException e) {
            throw new IOException(cardFile + ": " + e.getMessage());
        }
    }
}
