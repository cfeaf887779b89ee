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
