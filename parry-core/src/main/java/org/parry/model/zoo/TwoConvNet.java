package org.parry.model.zoo;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;

/**
 * The layer pattern small-cnn and madry-cnn share: two (same-padded conv k×k, ReLU, max-pool 2)
 * stages with w and 2w channels, then fc-hidden, ReLU, fc-K; the activation and the first
 * convolution's stride are options.
 */
final class TwoConvNet {

    private TwoConvNet() {}

    static Block build(int kernel, ArchitectureOptions options, int hidden, int numClasses) {
        int width = options.width();
        return new SequentialBlock()
                .add(convolution(kernel, width, options.firstStride()))
                .add(options.activation().block())
                .add(Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(convolution(kernel, 2 * width, 1))
                .add(options.activation().block())
                .add(Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(hidden).build())
                .add(options.activation().block())
                .add(Linear.builder().setUnits(numClasses).build());
    }

    private static Block convolution(int kernel, int filters, int stride) {
        int padding = kernel / 2;
        return Conv2d.builder().setKernelShape(new Shape(kernel, kernel))
                .optPadding(new Shape(padding, padding)).optStride(new Shape(stride, stride))
                .setFilters(filters).build();
    }
}
