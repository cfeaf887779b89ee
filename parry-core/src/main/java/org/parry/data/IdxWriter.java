package org.parry.data;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.parry.io.AtomicFiles;

/**
 * Writes IDX unsigned-byte image and label files, the format of MNIST (LeCun et al. 1998) and
 * Fashion-MNIST (Xiao et al. 2017, arXiv:1708.07747), raw or gzip-compressed. Files it writes are
 * read back unchanged by {@link IdxReader}.
 */
public final class IdxWriter {

    private IdxWriter() {}

    /**
     * Writes a one-channel data set as an images file and a labels file.
     *
     * @throws IllegalArgumentException if the data set has more than one channel or a label above
     *     255
     */
    public static void write(ImageDataset dataset, Path imagesFile, Path labelsFile, boolean gzip)
            throws IOException {
        if (dataset.channels() != 1) {
            throw new IllegalArgumentException(
                    "dataset: IDX holds grey images only, got " + dataset.channels() + " channels");
        }
        byte[] pixels = new byte[dataset.size() * dataset.height() * dataset.width()];
        int imageSize = dataset.height() * dataset.width();
        for (int i = 0; i < dataset.size(); i++) {
            float[] image = dataset.image(i);
            for (int k = 0; k < imageSize; k++) {
                pixels[i * imageSize + k] = (byte) Math.round(image[k] * 255f);
            }
        }
        writeImages(imagesFile, dataset.height(), dataset.width(), pixels, gzip);
        writeLabels(labelsFile, dataset.labels(), gzip);
    }

    /**
     * Writes {@code pixels.length / (rows × cols)} grey images of rows × cols (magic {@code
     * 0x00000803}).
     *
     * @throws IllegalArgumentException if the sizes are not positive or do not divide the pixels
     */
    public static void writeImages(Path file, int rows, int cols, byte[] pixels, boolean gzip)
            throws IOException {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException(
                    "rows and cols must be positive, got " + rows + " and " + cols);
        }
        if (pixels == null || pixels.length == 0 || pixels.length % (rows * cols) != 0) {
            throw new IllegalArgumentException(
                    "pixels: length must be a positive multiple of " + rows + "x" + cols + ", got "
                            + (pixels == null ? "null" : pixels.length));
        }
        AtomicFiles.write(file, stream -> {
            try (DataOutputStream out = data(stream, gzip)) {
                out.writeInt(IdxReader.IMAGES_MAGIC);
                out.writeInt(pixels.length / (rows * cols));
                out.writeInt(rows);
                out.writeInt(cols);
                out.write(pixels);
            }
        });
    }

    /**
     * Writes labels (magic {@code 0x00000801}), one unsigned byte each.
     *
     * @throws IllegalArgumentException if there are no labels or one is outside [0, 255]
     */
    public static void writeLabels(Path file, int[] labels, boolean gzip) throws IOException {
        if (labels == null || labels.length == 0) {
            throw new IllegalArgumentException("labels: need at least one label");
        }
        byte[] bytes = new byte[labels.length];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] > 255) {
                throw new IllegalArgumentException(
                        "labels[" + i + "] = " + labels[i] + " does not fit an unsigned byte");
            }
            bytes[i] = (byte) labels[i];
        }
        AtomicFiles.write(file, stream -> {
            try (DataOutputStream out = data(stream, gzip)) {
                out.writeInt(IdxReader.LABELS_MAGIC);
                out.writeInt(labels.length);
                out.write(bytes);
            }
        });
    }

    private static DataOutputStream data(OutputStream out, boolean gzip) throws IOException {
        return new DataOutputStream(gzip ? new GZIPOutputStream(out, 1 << 16) : out);
    }
}
