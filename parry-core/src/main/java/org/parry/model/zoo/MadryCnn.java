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
 * The MNIST-challenge network of Madry et al., "Towards deep learning models resistant to
 * adversarial attacks" (ICLR 2018, arXiv:1706.06083): conv32-5x5 (same padding), ReLU,
 * max-pool 2, conv64-5x5, ReLU, max-pool 2, fc-1024, ReLU, fc-K; 3.3M parameters on 28x28.
 */
public final class MadryCnn implements Architecture {

    @Override
    public String id() {
        return "madry-cnn";
    }

    @Override
    public String description() {
        return "conv32-5x5, pool, conv64-5x5, pool, fc1024, fc-K (Madry et al. 2018 MNIST challenge)";
    }

    @Override
    public int defaultWidth() {
        return 32;
    }

    @Override
    public Block build(Shape inputShape, int numClasses, int width) {
        return new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).optPadding(new Shape(2, 2))
                        .setFilters(width).build())
                .add(Activation.reluBlock())
                .add(Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).optPadding(new Shape(2, 2))
                        .setFilters(2 * width).build())
                .add(Activation.reluBlock())
                .add(Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(1024).build())
                .add(Activation.reluBlock())
                .add(Linear.builder().setUnits(numClasses).build());
    }
}
