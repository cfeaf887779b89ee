package org.parry.loss;

import ai.djl.ndarray.NDArray;

/**
 * A loss computed from logits, one value per sample. Attacks ascend it, training descends it.
 * Losses are always computed on logits, never on probabilities (saturated softmax gradients are
 * the classic way to fool oneself about robustness).
 * Per-sample values matter: a classifier's input gradient is the gradient of their sum, so the
 * gradient of one sample never depends on the batch it was computed in.
 */
@FunctionalInterface
public interface LogitLoss {

    /**
     * @param logits [N, K] unnormalized scores
     * @param labels [N] int class indices (true labels, or targets for targeted losses)
     * @return [N] loss per sample
     */
    NDArray perSample(NDArray logits, NDArray labels);

    /** The loss with its sign flipped, e.g. to descend cross-entropy toward a target class. */
    default LogitLoss negate() {
        LogitLoss original = this;
        return new LogitLoss() {
            @Override
            public NDArray perSample(NDArray logits, NDArray labels) {
                return original.perSample(logits, labels).neg();
            }

            @Override
            public String toString() {
                return "-" + original;
            }
        };
    }
}
