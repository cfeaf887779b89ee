package org.parry.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.parry.loss.LogitLoss;

/**
 * An image classifier as attacks, defenses and evaluations see it: logits for a batch of inputs in
 * {@link #bounds()}, and, for white-box use, the gradient of a per-sample loss with respect to the
 * input. A classifier always runs in evaluation mode (BatchNorm statistics and Dropout frozen).
 *
 * <p>Inputs are float NCHW batches in pixel space; results are attached to the input's manager.
 * Gradient computations open a PyTorch gradient collector, of which a process may have one at a
 * time: classifiers are not thread-safe.
 */
public interface Classifier extends AutoCloseable {

    /** A short human-readable name (architecture or file name). */
    String name();

    /** The shape of one input, (C, H, W). */
    Shape inputShape();

    /** The number of classes, K. */
    int numClasses();

    /** The box valid inputs live in, [0, 1] for every Parry model. */
    default Bounds bounds() {
        return Bounds.UNIT;
    }

    /**
     * Logits for a batch, without any gradient bookkeeping.
     *
     * @param x [N, C, H, W] inputs in {@link #bounds()}
     * @return [N, K] logits, attached to {@code x}'s manager
     */
    NDArray logits(NDArray x);

    /** Whether {@link #lossGradient} is available (white-box use). */
    boolean hasGradients();

    /**
     * One forward and backward pass: logits, per-sample loss, and the gradient of the summed loss
     * with respect to {@code x}. The model's parameters are left untouched.
     *
     * @throws IllegalStateException if the model has no gradients ({@link #hasGradients()} false)
     */
    LossGradient lossGradient(NDArray x, NDArray labels, LogitLoss loss);

    /** Releases the model's native memory. */
    @Override
    default void close() {}
}
