package org.parry.model.zoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The pre-activation residual unit of He, Zhang, Ren and Sun, "Identity mappings in deep residual
 * networks" (ECCV 2016): out = conv(relu(bn(conv(relu(bn(x)))))) + shortcut, where the shortcut is
 * x itself, or a strided 1x1 convolution of relu(bn(x)) when the shape changes. The activation is
 * ReLU unless the architecture options choose another.
 */
final class PreActBlock extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int stride;
    private final Block bn1;
    private final Block conv1;
    private final Block bn2;
    private final Block conv2;
    private final Block shortcut;
    private final Nonlinearity activation;

    PreActBlock(int channels, int stride, boolean projectShortcut, Nonlinearity activation) {
        super(VERSION);
        this.stride = stride;
        this.activation = activation;
        bn1 = addChildBlock("bn1", BatchNorm.builder().build());
        conv1 = addChildBlock("conv1", conv(channels, 3, stride));
        bn2 = addChildBlock("bn2", BatchNorm.builder().build());
        conv2 = addChildBlock("conv2", conv(channels, 3, 1));
        shortcut = projectShortcut ? addChildBlock("shortcut", conv(channels, 1, stride)) : null;
    }

    private static Block conv(int channels, int kernel, int stride) {
        int padding = kernel / 2;
        return Conv2d.builder()
                .setKernelShape(new Shape(kernel, kernel))
                .optStride(new Shape(stride, stride))
                .optPadding(new Shape(padding, padding))
                .optBias(false)
                .setFilters(channels)
                .build();
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray activated = activation.apply(bn1.forward(store, inputs, training).singletonOrThrow());
        NDArray skip = shortcut == null
                ? x
                : shortcut.forward(store, new NDList(activated), training).singletonOrThrow();
        NDArray out = conv1.forward(store, new NDList(activated), training).singletonOrThrow();
        out = activation.apply(bn2.forward(store, new NDList(out), training).singletonOrThrow());
        out = conv2.forward(store, new NDList(out), training).singletonOrThrow();
        return new NDList(out.add(skip));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        long height = (in.get(2) - 1) / stride + 1;
        long width = (in.get(3) - 1) / stride + 1;
        return conv2.getOutputShapes(
                new Shape[] {new Shape(in.get(0), in.get(1), height, width)});
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType,
            Shape... inputShapes) {
        bn1.initialize(manager, dataType, inputShapes);
        conv1.initialize(manager, dataType, inputShapes);
        Shape[] afterConv1 = conv1.getOutputShapes(inputShapes);
        bn2.initialize(manager, dataType, afterConv1);
        conv2.initialize(manager, dataType, afterConv1);
        if (shortcut != null) {
            shortcut.initialize(manager, dataType, inputShapes);
        }
    }
}
