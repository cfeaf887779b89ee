package org.parry.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Reads a folder of images laid out one sub-folder per class, the common "image folder" layout:
 * {@code root/<class>/<file>.png}. Class names are the sub-folder names in sorted order; files in
 * each class are read in sorted order. PNG and JPEG (anything {@link ImageIO} decodes) are
 * accepted; hidden files (names starting with a dot) are skipped, any other file that does not
 * decode is an error.
 *
 * <p>Images are converted to grey (ITU-R BT.601 luma) or RGB as asked, and resized with bilinear
 * interpolation (pixel centres aligned, as in PIL and OpenCV) when their size differs from the
 * requested one. Grey images are read from their raster directly, so 8-bit grey PNGs keep their
 * exact values.
 */
public final class ImageFolderReader {

    private ImageFolderReader() {}

    /**
     * The largest image decoded, in pixels (4096 × 4096, as {@link IdxReader#MAX_SIDE}): the size
     * an image declares is checked before its pixels are decoded, so a small file that declares a
     * huge image costs nothing.
     */
    public static final long MAX_PIXELS = (long) IdxReader.MAX_SIDE * IdxReader.MAX_SIDE;

    /**
     * Reads every image under {@code root}.
     *
     * @param root a folder holding one sub-folder per class
     * @param channels 1 for grey or 3 for RGB
     * @param height the height every image is resized to
     * @param width the width every image is resized to
     * @throws DatasetFormatException if there are no class folders, a class folder has no images,
     *     or a file cannot be decoded
     * @throws NoSuchFileException if {@code root} is not a folder
     */
    public static ImageDataset read(Path root, int channels, int height, int width)
            throws IOException {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 (grey) or 3 (RGB), got " + channels);
        }
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException(
                    "height and width must be positive, got " + height + " and " + width);
        }
        if (!Files.isDirectory(root)) {
            throw new NoSuchFileException(root.toString(), null,
                    "not a folder; expected a folder with one sub-folder of images per class");
        }
        List<Path> classDirs = list(root, true);
        if (classDirs.isEmpty()) {
            throw new DatasetFormatException(root, DatasetFormatException.WHOLE_FILE,
                    "one sub-folder per class",
                    "no class sub-folders found; expected " + root.resolve("<class>/<image>.png"));
        }
        List<String> classNames = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        List<Integer> fileLabels = new ArrayList<>();
        for (Path classDir : classDirs) {
            List<Path> images = list(classDir, false);
            if (images.isEmpty()) {
                throw new DatasetFormatException(classDir, DatasetFormatException.WHOLE_FILE,
                        "at least one image", "class folder '" + classDir.getFileName()
                                + "' holds no image files");
            }
            for (Path image : images) {
                files.add(image);
                fileLabels.add(classNames.size());
            }
            classNames.add(classDir.getFileName().toString());
        }
        int imageSize = channels * height * width;
        byte[] pixels = new byte[Math.multiplyExact(files.size(), imageSize)];
        int[] labels = new int[files.size()];
        for (int i = 0; i < files.size(); i++) {
            byte[] image = resize(decode(files.get(i), channels), height, width);
            System.arraycopy(image, 0, pixels, i * imageSize, imageSize);
            labels[i] = fileLabels.get(i);
        }
        return ImageDataset.owning(
                root.getFileName() == null ? "images" : root.getFileName().toString(),
                channels, height, width, pixels, labels, classNames);
    }

    /** Non-hidden folders (or regular files) directly inside {@code dir}, sorted by name. */
    private static List<Path> list(Path dir, boolean folders) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .filter(p -> folders ? Files.isDirectory(p) : Files.isRegularFile(p))
                    .sorted()
                    .toList();
        }
    }

    /**
     * Decodes one file into a {@link Planes} image with the requested channel count, after
     * checking the size its header declares (read without decoding the pixels).
     */
    private static Planes decode(Path file, int channels) throws IOException {
        BufferedImage image;
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            image = readers == null || !readers.hasNext() ? null : decode(file, in, readers.next());
        } catch (DatasetFormatException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new DatasetFormatException(file, DatasetFormatException.WHOLE_FILE,
                    "a PNG or JPEG image", "cannot decode image: " + e.getMessage(), e);
        }
        if (image == null) {
            throw new DatasetFormatException(file, DatasetFormatException.WHOLE_FILE,
                    "a PNG or JPEG image",
                    "not a readable image: no installed decoder recognises this file (expected"
                            + " PNG or JPEG)");
        }
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] out = new byte[channels * h * w];
        Raster raster = image.getRaster();
        boolean grey = image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY;
        int plane = h * w;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r;
                int g;
                int b;
                if (grey) {
                    int max = (1 << raster.getSampleModel().getSampleSize(0)) - 1;
                    r = Math.round(raster.getSample(x, y, 0) * 255f / max);
                    g = r;
                    b = r;
                } else {
                    int rgb = image.getRGB(x, y);
                    r = (rgb >> 16) & 0xFF;
                    g = (rgb >> 8) & 0xFF;
                    b = rgb & 0xFF;
                }
                int k = y * w + x;
                if (channels == 1) {
                    out[k] = (byte) (grey ? r : Math.round(0.299f * r + 0.587f * g + 0.114f * b));
                } else {
                    out[k] = (byte) r;
                    out[plane + k] = (byte) g;
                    out[2 * plane + k] = (byte) b;
                }
            }
        }
        return new Planes(channels, h, w, out);
    }

    private static BufferedImage decode(Path file, ImageInputStream in, ImageReader reader)
            throws IOException {
        try {
            reader.setInput(in, true, true);
            long width = reader.getWidth(0);
            long height = reader.getHeight(0);
            if (width * height > MAX_PIXELS) {
                throw new DatasetFormatException(file, DatasetFormatException.WHOLE_FILE,
                        "at most " + MAX_PIXELS + " pixels (" + IdxReader.MAX_SIDE + "x"
                                + IdxReader.MAX_SIDE + ")",
                        "image declares " + width + "x" + height + " = " + width * height
                                + " pixels, more than the " + MAX_PIXELS + " this reader decodes;"
                                + " refused before decoding; shrink the image or remove it");
            }
            return reader.read(0);
        } finally {
            reader.dispose();
        }
    }

    /** Bilinear resize of every plane to height × width; returns the pixels unchanged if equal. */
    private static byte[] resize(Planes in, int height, int width) {
        if (in.height == height && in.width == width) {
            return in.pixels;
        }
        byte[] out = new byte[in.channels * height * width];
        float scaleY = (float) in.height / height;
        float scaleX = (float) in.width / width;
        for (int c = 0; c < in.channels; c++) {
            int from = c * in.height * in.width;
            for (int y = 0; y < height; y++) {
                float sy = Math.max(0f, Math.min(in.height - 1f, (y + 0.5f) * scaleY - 0.5f));
                int y0 = (int) sy;
                int y1 = Math.min(y0 + 1, in.height - 1);
                float fy = sy - y0;
                for (int x = 0; x < width; x++) {
                    float sx = Math.max(0f, Math.min(in.width - 1f, (x + 0.5f) * scaleX - 0.5f));
                    int x0 = (int) sx;
                    int x1 = Math.min(x0 + 1, in.width - 1);
                    float fx = sx - x0;
                    float top = in.at(from, y0, x0) * (1 - fx) + in.at(from, y0, x1) * fx;
                    float bottom = in.at(from, y1, x0) * (1 - fx) + in.at(from, y1, x1) * fx;
                    out[c * height * width + y * width + x] =
                            (byte) Math.round(top * (1 - fy) + bottom * fy);
                }
            }
        }
        return out;
    }

    /** A decoded image as CHW unsigned bytes. */
    private record Planes(int channels, int height, int width, byte[] pixels) {

        int at(int planeOffset, int y, int x) {
            return pixels[planeOffset + y * width + x] & 0xFF;
        }
    }
}
