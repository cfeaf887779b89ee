package org.parry.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Softmax cross-entropy on logits, {@code -log softmax(z)_y}, computed with log-softmax so that it
 * stays finite for confident models.
 */
public final class CrossEntropyLoss implements LogitLoss {

    private static final CrossEntropyLoss INSTANCE = new CrossEntropyLoss();

    private CrossEntropyLoss() {}

    /** The shared instance; the loss has no settings. */
    public static CrossEntropyLoss get() {
        return INSTANCE;
    }

    @Override
    public NDArray perSample(NDArray logits, NDArray labels) {
        NDArray logProbabilities = logits.logSoftmax(1);
        NDArray index = labels.toType(DataType.INT64, false).reshape(-1, 1);
        return logProbabilities.gather(index, 1).reshape(-1).neg();
    }

    @Override
    public String toString() {
        return "cross-entropy";
    }
}
