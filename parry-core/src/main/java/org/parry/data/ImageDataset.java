package org.parry.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/**
 * An immutable, in-memory labelled image data set: N images of C×H×W 8-bit pixels (stored CHW per
 * image, images one after another) and N integer labels in [0, K). Tensors handed out are float32
 * in [0, 1], NCHW, created in the caller's {@link NDManager}.
 *
 * <p>Derived sets ({@link #first}, {@link #select}, {@link #shuffled}) are new instances; this one
 * never changes. A data set always holds at least one image.
 */
public final class ImageDataset implements java.io.Serializable {

    private static final long serialVersionUID = 1L;

    private final String name;
    private final int channels;
    private final int height;
    private final int width;
    private final byte[] pixels;
    private final int[] labels;
    private final List<String> classNames;

    /**
     * Copies the arrays and validates them.
     *
     * @param name a short name for logs and reports, e.g. {@code "fashion-mnist"}
     * @param channels C, the number of colour channels (1 grey, 3 RGB)
     * @param height H in pixels
     * @param width W in pixels
     * @param pixels N×C×H×W bytes read as unsigned 0..255, CHW order within each image
     * @param labels N labels, each in [0, classNames.size())
     * @param classNames the K class names, index = label
     * @throws IllegalArgumentException naming the field and the bad value
     */
    public ImageDataset(
            String name,
            int channels,
            int height,
            int width,
            byte[] pixels,
            int[] labels,
            List<String> classNames) {
        this(name, channels, height, width, copy(pixels, "pixels"), copy(labels), classNames, true);
    }

    /** Takes ownership of the arrays without copying; for readers that built them fresh. */
    private ImageDataset(
            String name,
            int channels,
            int height,
            int width,
            byte[] pixels,
            int[] labels,
            List<String> classNames,
            boolean validate) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank, got '" + name + "'");
        }
        requirePositive("channels", channels);
        requirePositive("height", height);
        requirePositive("width", width);
        if (classNames == null || classNames.isEmpty()) {
            throw new IllegalArgumentException(
                    "classNames must list at least one class, got " + classNames);
        }
        if ((long) channels * height * width > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "image shape " + channels + "×" + height + "×" + width + " is too large");
        }
        this.name = name;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.pixels = pixels;
        this.labels = labels;
        this.classNames = List.copyOf(classNames);
        if (validate) {
            validateContent();
        }
    }

    /**
     * Wraps arrays that the caller built and hands over (no copy); validates like the public
     * constructor.
     */
    static ImageDataset owning(
            String name,
            int channels,
            int height,
            int width,
            byte[] pixels,
            int[] labels,
            List<String> classNames) {
        return new ImageDataset(name, channels, height, width, pixels, labels, classNames, true);
    }

    private void validateContent() {
        if (labels.length == 0) {
            throw new IllegalArgumentException("labels: a data set needs at least one image, got 0");
        }
        long expected = (long) labels.length * channels * height * width;
        if (pixels.length != expected) {
            throw new IllegalArgumentException(
                    "pixels: expected " + labels.length + " images × " + channels + "×" + height + "×"
                            + width + " = " + expected + " bytes, got " + pixels.length);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classNames.size()) {
                throw new IllegalArgumentException(
                        "labels[" + i + "] = " + labels[i] + " is outside [0, " + classNames.size()
                                + ") for " + classNames.size() + " classes");
            }
        }
    }

    /** The data set's name, e.g. {@code "fashion-mnist"}. */
    public String name() {
        return name;
    }

    /** The number of images N. */
    public int size() {
        return labels.length;
    }

    /** C, the number of channels. */
    public int channels() {
        return channels;
    }

    /** H, the image height in pixels. */
    public int height() {
        return height;
    }

    /** W, the image width in pixels. */
    public int width() {
        return width;
    }

    /** The shape of one image, (C, H, W). */
    public Shape imageShape() {
        return new Shape(channels, height, width);
    }

    /** K, the number of classes. */
    public int numClasses() {
        return classNames.size();
    }

    /** The class names, index = label; unmodifiable. */
    public List<String> classNames() {
        return classNames;
    }

    /** The label of image {@code i}. */
    public int label(int i) {
        requireIndex("i", i);
        return labels[i];
    }

    /** All labels, as a fresh copy. */
    public int[] labels() {
        return labels.clone();
    }

    /**
     * The same images with other labels (e.g. {@link LabelNoise}); the pixels are shared, both
     * sets being immutable.
     *
     * @throws IllegalArgumentException unless there is one label in [0, K) per image
     */
    public ImageDataset withLabels(int[] newLabels) {
        if (newLabels == null || newLabels.length != labels.length) {
            throw new IllegalArgumentException("newLabels: need " + labels.length + " labels, got "
                    + (newLabels == null ? "null" : newLabels.length));
        }
        return new ImageDataset(name, channels, height, width, pixels, newLabels.clone(),
                classNames, true);
    }

    /**
     * Other images of the same shape with these labels, e.g. adversarial examples of these ones,
     * named {@code newName}. Pixels are stored as bytes like every image here: each value is
     * clipped to [0, 1] and rounded to the nearest of the 256 levels, as saving them as images
     * would.
     *
     * @param newPixels N×C×H×W floats, CHW order within each image
     * @throws IllegalArgumentException unless there are as many images as labels
     */
    public ImageDataset withImages(String newName, float[] newPixels) {
        if (newPixels == null || newPixels.length != pixels.length) {
            throw new IllegalArgumentException("newPixels: need " + pixels.length + " values ("
                    + labels.length + " images of " + imageSize() + "), got "
                    + (newPixels == null ? "null" : newPixels.length));
        }
        byte[] quantized = new byte[newPixels.length];
        for (int i = 0; i < newPixels.length; i++) {
            float v = Math.min(1f, Math.max(0f, newPixels[i]));
            quantized[i] = (byte) Math.round(v * 255f);
        }
        return new ImageDataset(newName, channels, height, width, quantized, labels, classNames,
                false);
    }

    /** Image {@code i} as C×H×W floats in [0, 1], CHW order. */
    public float[] image(int i) {
        requireIndex("i", i);
        float[] out = new float[imageSize()];
        toFloats(i * imageSize(), out);
        return out;
    }

    /**
     * The first {@code n} images, in order.
     *
     * @throws IllegalArgumentException if {@code n} is not in [1, size()]
     */
    public ImageDataset first(int n) {
        if (n < 1 || n > size()) {
            throw new IllegalArgumentException(
                    "n: asked for the first " + n + " images but data set '" + name + "' has "
                            + size() + " (valid: 1.." + size() + ")");
        }
        return new ImageDataset(
                name,
                channels,
                height,
                width,
                Arrays.copyOf(pixels, n * imageSize()),
                Arrays.copyOf(labels, n),
                classNames,
                false);
    }

    /**
     * The images at {@code indices}, in that order; repeats are allowed.
     *
     * @throws IllegalArgumentException if {@code indices} is empty or an index is out of range
     */
    public ImageDataset select(int[] indices) {
        if (indices == null || indices.length == 0) {
            throw new IllegalArgumentException("indices: need at least one index, got "
                    + (indices == null ? "null" : "an empty array"));
        }
        int imageSize = imageSize();
        byte[] outPixels = new byte[Math.multiplyExact(indices.length, imageSize)];
        int[] outLabels = new int[indices.length];
        for (int k = 0; k < indices.length; k++) {
            int i = indices[k];
            if (i < 0 || i >= size()) {
                throw new IllegalArgumentException(
                        "indices[" + k + "] = " + i + " is outside [0, " + size() + ")");
            }
            System.arraycopy(pixels, i * imageSize, outPixels, k * imageSize, imageSize);
            outLabels[k] = labels[i];
        }
        return new ImageDataset(
                name, channels, height, width, outPixels, outLabels, classNames, false);
    }

    /**
     * All images in a random order determined only by {@code seed} (a Fisher–Yates shuffle driven
     * by {@link java.util.Random}, whose sequence is fixed by its specification, so the order is the
     * same on every JVM).
     */
    public ImageDataset shuffled(long seed) {
        int[] order = new int[size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Random random = new Random(seed);
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return select(order);
    }

    /**
     * Images {@code from} (inclusive) to {@code to} (exclusive) as a batch: x float32 [n, C, H, W]
     * with pixels divided by 255, y int32 [n].
     *
     * @param manager where the two arrays are created; the caller closes it
     * @throws IllegalArgumentException unless 0 <= from < to <= size()
     */
    public Batch batch(NDManager manager, int from, int to) {
        if (manager == null) {
            throw new IllegalArgumentException("manager must not be null");
        }
        if (from < 0 || to > size() || from >= to) {
            throw new IllegalArgumentException(
                    "batch range [" + from + ", " + to + ") must satisfy 0 <= from < to <= "
                            + size());
        }
        int n = to - from;
        float[] x = new float[n * imageSize()];
        toFloats(from * imageSize(), x);
        NDArray xs = manager.create(x, new Shape(n, channels, height, width));
        NDArray ys = manager.create(Arrays.copyOfRange(labels, from, to));
        return new Batch(xs, ys);
    }

    /**
     * The number of batches of {@code batchSize} needed to cover the data set; the last may be
     * smaller.
     */
    public int numBatches(int batchSize) {
        requirePositive("batchSize", batchSize);
        return (size() + batchSize - 1) / batchSize;
    }

    /**
     * Batch number {@code index} (from 0) when the data set is cut into batches of {@code
     * batchSize} in order; the last batch holds the remainder and may be smaller.
     */
    public Batch batchNumber(NDManager manager, int index, int batchSize) {
        int count = numBatches(batchSize);
        if (index < 0 || index >= count) {
            throw new IllegalArgumentException(
                    "index: batch " + index + " does not exist; batch size " + batchSize + " gives "
                            + count + " batches (0.." + (count - 1) + ")");
        }
        int from = index * batchSize;
        return batch(manager, from, Math.min(size(), from + batchSize));
    }

    /**
     * SHA-256, in lower-case hex, of the pixel bytes followed by each label as a 4-byte big-endian
     * integer. Identifies the content (not the name or class names) for provenance records.
     */
    public String sha256() {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide SHA-256", e);
        }
        digest.update(pixels);
        ByteBuffer labelBytes = ByteBuffer.allocate(labels.length * Integer.BYTES);
        labelBytes.asIntBuffer().put(labels);
        digest.update(labelBytes.array());
        return HexFormat.of().formatHex(digest.digest());
    }

    @Override
    public String toString() {
        return "ImageDataset[" + name + ", " + size() + " × " + channels + "×" + height + "×" + width
                + ", " + numClasses() + " classes]";
    }

    private int imageSize() {
        return channels * height * width;
    }

    private void toFloats(int offset, float[] out) {
        for (int k = 0; k < out.length; k++) {
            out[k] = (pixels[offset + k] & 0xFF) / 255f;
        }
    }

    private void requireIndex(String field, int i) {
        if (i < 0 || i >= size()) {
            throw new IllegalArgumentException(
                    field + " = " + i + " is outside [0, " + size() + ") for data set '" + name + "'");
        }
    }

    private static void requirePositive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be positive, got " + value);
        }
    }

    private static byte[] copy(byte[] array, String field) {
        if (array == null) {
            throw new IllegalArgumentException(field + " must not be null");
        }
        return array.clone();
    }

    private static int[] copy(int[] array) {
        if (array == null) {
            throw new IllegalArgumentException("labels must not be null");
        }
        return array.clone();
    }
}
