package org.parry.model.zoo;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;

/**
 * LeNet-5 after LeCun, Bottou, Bengio and Haffner, "Gradient-based learning applied to document
 * recognition" (Proc. IEEE 1998), with the usual modern substitutions (ReLU, max-pooling):
 * conv6-5x5 (padding 2, as the paper's 32x32 input), pool, conv16-5x5, pool, fc-120, fc-84, fc-K.
 */
public final class LeNet5 implements Architecture {

    @Override
    public String id() {
        return "lenet5";
    }

    @Override
    public String description() {
        return "LeNet-5 (LeCun et al. 1998) with ReLU and max-pooling: conv6-5x5, conv16-5x5, fc120, fc84";
    }

    @Override
    public int defaultWidth() {
        return 6;
    }

    @Override
    public Block build(Shape inputShape, int numClasses, ArchitectureOptions options) {
        return new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).optPadding(new Shape(2, 2))
                        .optStride(new Shape(options.firstStride(), options.firstStride()))
                        .setFilters(options.width()).build())
                .add(options.activation().block())
                .add(Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(Conv2d.builder().setKernelShape(new Shape(5, 5))
                        .setFilters(options.width() * 16 / 6).build())
                .add(options.activation().block())
                .add(Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(120).build())
                .add(options.activation().block())
                .add(Linear.builder().setUnits(84).build())
                .add(options.activation().block())
                .add(Linear.builder().setUnits(numClasses).build());
    }
}
