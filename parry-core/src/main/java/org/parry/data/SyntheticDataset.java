package org.parry.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A seeded synthetic image data set that a small CNN learns in an epoch, for fast tests. The image
 * is cut into a g × g grid of cells, g = ⌈√K⌉; an image of class c has a bright square blob in
 * cell c (jittered within the cell, random brightness) over a dim noisy background, and every
 * pixel gets independent noise. Labels are balanced (each class appears ⌊N/K⌋ or ⌈N/K⌉ times) and
 * shuffled. The same arguments always give the same data set, on every JVM ({@link Random}'s
 * sequence is fixed by its specification).
 */
public final class SyntheticDataset {

    /** The name every generated data set carries. */
    public static final String NAME = "synthetic";

    private static final int BACKGROUND_MAX = 60;
    private static final int BLOB_MIN = 170;
    private static final int PIXEL_NOISE = 25;

    private SyntheticDataset() {}

    /**
     * Generates {@code n} images.
     *
     * @param n number of images, at least 1
     * @param numClasses K, at least 1
     * @param channels C, at least 1; every channel shows the same blob with its own noise
     * @param height H, at least ⌈√K⌉ so that every class has a cell
     * @param width W, at least ⌈√K⌉
     * @param seed fixes the content
     * @throws IllegalArgumentException naming the bad argument
     */
    public static ImageDataset generate(
            int n, int numClasses, int channels, int height, int width, long seed) {
        require("n", n, 1);
        require("numClasses", numClasses, 1);
        require("channels", channels, 1);
        int grid = (int) Math.ceil(Math.sqrt(numClasses));
        require("height", height, grid);
        require("width", width, grid);
        Random random = new Random(seed);
        int[] labels = balancedLabels(n, numClasses, random);
        int imageSize = Math.multiplyExact(Math.multiplyExact(channels, height), width);
        byte[] pixels = new byte[Math.multiplyExact(n, imageSize)];
        int cellH = height / grid;
        int cellW = width / grid;
        int blobH = Math.max(1, Math.round(cellH * 0.6f));
        int blobW = Math.max(1, Math.round(cellW * 0.6f));
        for (int i = 0; i < n; i++) {
            int c = labels[i];
            int top = (c / grid) * cellH + random.nextInt(cellH - blobH + 1);
            int left = (c % grid) * cellW + random.nextInt(cellW - blobW + 1);
            int brightness = BLOB_MIN + random.nextInt(256 - BLOB_MIN);
            for (int ch = 0; ch < channels; ch++) {
                int offset = i * imageSize + ch * height * width;
                for (int y = 0; y < height; y++) {
                    for (int x = 0; x < width; x++) {
                        boolean inBlob = y >= top && y < top + blobH && x >= left && x < left + blobW;
                        int base = inBlob ? brightness : random.nextInt(BACKGROUND_MAX + 1);
                        int value = base + random.nextInt(2 * PIXEL_NOISE + 1) - PIXEL_NOISE;
                        pixels[offset + y * width + x] = (byte) Math.max(0, Math.min(255, value));
                    }
                }
            }
        }
        List<String> classNames = new ArrayList<>();
        for (int c = 0; c < numClasses; c++) {
            classNames.add("class-" + c);
        }
        return ImageDataset.owning(NAME, channels, height, width, pixels, labels, classNames);
    }

    private static int[] balancedLabels(int n, int numClasses, Random random) {
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % numClasses;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = labels[i];
            labels[i] = labels[j];
            labels[j] = swap;
        }
        return labels;
    }

    private static void require(String field, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(field + " must be at least " + min + ", got " + value);
        }
    }
}
