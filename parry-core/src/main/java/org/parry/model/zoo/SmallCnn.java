package org.parry.model.zoo;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;

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
    public Block build(Shape inputShape, int numClasses, int width) {
        return new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1))
                        .setFilters(width).build())
                .add(Activation.reluBlock())
                .add(Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1))
                        .setFilters(2 * width).build())
                .add(Activation.reluBlock())
                .add(Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(128).build())
                .add(Activation.reluBlock())
                .add(Linear.builder().setUnits(numClasses).build());
    }
}
