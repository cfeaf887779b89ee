package org.parry.model;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One step in front of a classifier in a {@link Pipeline}: a preprocessing or purification that
 * maps a batch of inputs to a batch of the same shape in the same box (bit-depth reduction, JPEG
 * compression, a denoising autoencoder, a generator projection, a random resize). A stage says
 * what gradients it can give, so that attacks on the pipeline can pass through it:
 * <ul>
 *   <li>{@link #differentiable()}: PyTorch's autograd through {@link #apply} gives the stage's
 *       derivative (almost everywhere);
 *   <li>{@link #standIn}: the differentiable stand-in g(x) ≈ apply(x) that backward pass
 *       differentiable approximation (BPDA, Athalye, Carlini and Wagner, ICML 2018) uses in the
 *       backward pass while the forward pass keeps the stage itself; the identity by default;
 *   <li>{@link #randomized()}: the stage draws on its random source, so attacks average gradients
 *       over draws (expectation over transformation, EOT).
 * </ul>
 * A stage with native memory (trained weights) releases it in {@link #close()}.
 */
public interface Stage extends AutoCloseable {

    /** A short name, e.g. {@code bit-depth}. */
    String name();

    /** Every setting, as the model card and the report show them. */
    Map<String, Object> settings();

    /**
     * Applies the stage to a batch. The result may be cut from the autograd graph (computed on the
     * Java side, or from integer operations) when the stage is not {@link #differentiable()}.
     *
     * @param x [N, C, H, W] inputs in {@code bounds}
     * @param bounds the box of valid inputs, which the result stays in
     * @param random the source of the stage's randomness, if {@link #randomized()}
     * @return [N, C, H, W] in {@code bounds}, attached to {@code x}'s manager
     */
    NDArray apply(NDArray x, Bounds bounds, SplittableRandom random);

    /** Whether autograd through {@link #apply} gives the stage's derivative. */
    boolean differentiable();

    /** Whether {@link #apply} draws on its random source. */
    default boolean randomized() {
        return false;
    }

    /**
     * The differentiable approximation g(x) ≈ apply(x) whose gradient BPDA passes back through
     * the stage: the identity by default, as for every stage that moves x only a little
     * (quantization, compression, smoothing, purification).
     */
    default NDArray standIn(NDArray x, Bounds bounds) {
        return x;
    }

    /** Releases the stage's native memory, if any. */
    @Override
    default void close() {}
}
