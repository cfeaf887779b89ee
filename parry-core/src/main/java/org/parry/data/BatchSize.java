package org.parry.data;

import java.lang.management.ManagementFactory;

/**
 * Bounds a batch size by memory before any batch is built. A batch of n images costs n × (image
 * floats × 4 bytes) × {@value #COPIES_PER_IMAGE}: the inputs, the adversarial copies, gradients
 * and the activations of every layer (measured: a batch of 10 000 Fashion-MNIST images took
 * 3.8 GB to evaluate and 6 GB to attack with small-cnn, about 190 copies of the input). A batch
 * larger than the data set is clamped to its size, since no batch can hold more.
 */
public final class BatchSize {

    /** Working copies of one input image a batch step may hold at once (see the class comment). */
    public static final int COPIES_PER_IMAGE = 200;

    private BatchSize() {}

    /**
     * The batch size to use: {@code requested} clamped to the number of images, checked against
     * {@code availableBytes}.
     *
     * @throws IllegalArgumentException when {@code requested} is below 1, or the batch would need
     *     more memory than is available (the message names the largest batch size that fits)
     */
    public static int check(int requested, ImageDataset data, long availableBytes) {
        if (requested < 1) {
            throw new IllegalArgumentException("--batch-size must be >= 1, got " + requested);
        }
        int batch = Math.min(requested, Math.max(data.size(), 1));
        long perImage = 4L * data.channels() * data.height() * data.width() * COPIES_PER_IMAGE;
        long largest = Math.max(1, availableBytes / perImage);
        if (batch > largest) {
            throw new IllegalArgumentException("--batch-size " + requested + " needs about "
                    + megabytes(batch * perImage) + " MB for " + batch + " images of "
                    + data.channels() + "x" + data.height() + "x" + data.width()
                    + ", more than the " + megabytes(availableBytes) + " MB available; use"
                    + " --batch-size " + largest + " or less (128 is a good default)");
        }
        return batch;
    }

    /**
     * The memory a batch may use: half of the physical memory (tensors live outside the Java heap,
     * in libtorch), or the Java heap if no physical size is known.
     */
    public static long availableBytes() {
        long physical = 0;
        if (ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            physical = os.getTotalMemorySize();
        }
        return physical > 0 ? physical / 2 : Runtime.getRuntime().maxMemory();
    }

    private static long megabytes(long bytes) {
        return bytes >> 20;
    }
}
