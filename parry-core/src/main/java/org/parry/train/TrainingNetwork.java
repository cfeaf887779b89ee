package org.parry.train;

import ai.djl.ndarray.NDArray;
import java.util.OptionalDouble;
import java.util.function.UnaryOperator;

/** The network being trained, as a {@link TrainingObjective}'s loss sees it: in training mode. */
public interface TrainingNetwork {

    /** Forward pass in training mode: [N, C, H, W] pixels to [N, K] logits, with gradients. */
    NDArray logits(NDArray x);

    /**
     * How many hidden points {@link #logits(NDArray, int, UnaryOperator)} can edit besides the
     * input: the outputs of the network's stages but the last ({@link
     * org.parry.model.Layers#stageOutputs}), e.g. 2 for small-cnn, 0 for a linear model. The
     * default: none.
     */
    default int hiddenPoints() {
        return 0;
    }

    /**
     * Forward pass in training mode with the state at one point replaced by {@code edit} of it,
     * for objectives that act on hidden states (Manifold Mixup). Side outputs (CIFS probes,
     * TisODE's penalty) are collected as in {@link #logits(NDArray)}.
     *
     * @param point 0 for the input (pixels, before the normalization layer), k in 1..{@link
     *     #hiddenPoints()} for the output of stage k
     * @param edit maps the [N, ...] state at {@code point} to a state of the same shape
     * @throws IllegalArgumentException for a point outside 0..{@link #hiddenPoints()}
     */
    default NDArray logits(NDArray x, int point, UnaryOperator<NDArray> edit) {
        if (point != 0) {
            throw new IllegalArgumentException("point " + point + " is not in 0.." + hiddenPoints());
        }
        return logits(edit.apply(x));
    }

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

    /**
     * The scale s of the network's cosine head ({@link org.parry.model.zoo.CosineLinear}, logits
     * = s·cos(φ(x), w_k)), for objectives defined on the cosines; empty for a network without one.
     */
    default OptionalDouble cosineScale() {
        return OptionalDouble.empty();
    }
}
