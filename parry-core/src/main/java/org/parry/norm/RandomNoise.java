package org.parry.norm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;

/**
 * Seeded noise drawn on the Java side, so an attack's random draws depend only on its own seed,
 * never on PyTorch's global generator (which training and other attacks also use).
 */
public final class RandomNoise {

    private RandomNoise() {}

    /** Uniform in [low, high). */
    public static NDArray uniform(NDManager manager, Shape shape, float low, float high, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = low + (high - low) * (float) random.nextDouble();
        }
        return manager.create(values, shape);
    }

    /**
     * Standard normal, row by row: row i (the first dimension) from its own stream seeded by
     * {@code rowSeeds[i]}, so that a sample's noise does not depend on the batch around it.
     */
    public static NDArray gaussian(NDManager manager, Shape shape, long[] rowSeeds) {
        if (shape.get(0) != rowSeeds.length) {
            throw new IllegalArgumentException("one seed per row needed: shape " + shape + ", "
                    + rowSeeds.length + " seeds");
        }
        int rowSize = Math.toIntExact(shape.size() / Math.max(1, rowSeeds.length));
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int row = 0; row < rowSeeds.length; row++) {
            SplittableRandom random = new SplittableRandom(rowSeeds[row]);
            for (int i = row * rowSize; i < (row + 1) * rowSize; i++) {
                values[i] = (float) random.nextGaussian();
            }
        }
        return manager.create(values, shape);
    }

    /** Standard normal. */
    public static NDArray gaussian(NDManager manager, Shape shape, long seed) {
        java.util.Random random = new java.util.Random(seed);
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return manager.create(values, shape);
    }
}
