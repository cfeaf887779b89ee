package org.parry.model.zoo;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;

/** A two-hidden-layer perceptron: flatten, fc-width, ReLU, fc-width, ReLU, fc-K. */
public final class Mlp implements Architecture {

    @Override
    public String id() {
        return "mlp";
    }

    @Override
    public String description() {
        return "multilayer perceptron: flatten, fc-256, ReLU, fc-256, ReLU, fc-K (width = hidden units)";
    }

    @Override
    public int defaultWidth() {
        return 256;
    }

    @Override
    public boolean hasConvolutions() {
        return false;
    }

    @Override
    public Block build(Shape inputShape, int numClasses, ArchitectureOptions options) {
        return new SequentialBlock()
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(options.width()).build())
                .add(options.activation().block())
                .add(Linear.builder().setUnits(options.width()).build())
                .add(options.activation().block())
                .add(Linear.builder().setUnits(numClasses).build());
    }
}
