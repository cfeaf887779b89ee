package org.parry.criterion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;

/** Untargeted success: the predicted class differs from the true label. */
public record Misclassification(NDArray labels) implements Criterion {

    @Override
    public boolean targeted() {
        return false;
    }

    @Override
    public NDArray isAdversarial(NDArray logits) {
        return logits.argMax(1).toType(DataType.INT64, false)
                .neq(labels.toType(DataType.INT64, false));
    }

    @Override
    public Criterion subset(NDArray indices) {
        return new Misclassification(labels.get(indices));
    }

    @Override
    public NDList arrays() {
        return new NDList(labels);
    }

    @Override
    public String name() {
        return "misclassification";
    }
}
