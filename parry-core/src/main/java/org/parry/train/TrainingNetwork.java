package org.parry.train;

import ai.djl.ndarray.NDArray;
import java.util.OptionalDouble;

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
     * The scale s of the network's cosine head ({@link org.parry.model.zoo.CosineLinear}, logits
     * = s·cos(φ(x), w_k)), for objectives defined on the cosines; empty for a network without one.
     */
    OptionalDouble cosineScale();
}
