package org.parry.model.zoo;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;

/**
 * A shallow softmax classifier, logits = W x + b: the "shallow softmax" model of Goodfellow,
 * Shlens and Szegedy, "Explaining and harnessing adversarial examples" (ICLR 2015), whose FGSM
 * error rate at epsilon 0.25 on MNIST is the first table of that paper. It has no width.
 */
public final class LinearModel implements Architecture {

    @Override
    public String id() {
        return "linear";
    }

    @Override
    public String description() {
        return "softmax regression: flatten, fc-K (Goodfellow et al. 2015's shallow softmax)";
    }

    @Override
    public int defaultWidth() {
        return 0;
    }

    @Override
    public boolean hasConvolutions() {
        return false;
    }

    @Override
    public Block build(Shape inputShape, int numClasses, ArchitectureOptions options) {
        return new SequentialBlock()
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(numClasses).build());
    }
}
