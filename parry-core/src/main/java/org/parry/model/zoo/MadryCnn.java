package org.parry.model.zoo;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;

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
    public Block build(Shape inputShape, int numClasses, ArchitectureOptions options) {
        return TwoConvNet.build(5, options, 1024, numClasses);
    }
}
