package org.parry.train;

import ai.djl.ndarray.NDArray;

/** The network being trained, as a {@link TrainingObjective}'s loss sees it: in training mode. */
public interface TrainingNetwork {

    /** Forward pass in training mode: [N, C, H, W] pixels to [N, K] logits, with gradients. */
    NDArray logits(NDArray x);

    /**
     * The weight of the first convolution (or, in a network without one, the first linear
     * layer), for regularizers of the input layer.
     */
    NDArray firstLayerWeight();

    /**
     * Zeroes the trainable parameters' gradients. For a loss that runs a backward pass of its own
     * inside the training collector (double backprop, {@link org.parry.engine.Backward#withGraph}),
     * which leaves first-order parameter gradients that would otherwise add to the step's.
     */
    void clearParameterGradients();
}
