package org.parry.model.zoo;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;

/**
 * The small CNN of Parry's Fashion-MNIST experiments: conv32-3x3 (same padding), ReLU, max-pool 2,
 * conv64-3x3, ReLU, max-pool 2, fc-128, ReLU, fc-K; 421k parameters on 28x28 inputs.
 */
public final class SmallCnn implements Architecture {

    @Override
    public String id() {
        return "small-cnn";
    }

    @Override
    public String description() {
        return "conv32-3x3, pool, conv64-3x3, pool, fc128, fc-K (width = first conv's channels)";
    }

    @Override
    public int defaultWidth() {
        return 32;
    }

    @Override
    public Block build(Shape inputShape, int numClasses, ArchitectureOptions options) {
        return TwoConvNet.build(3, options, 128, numClasses);
    }
}
