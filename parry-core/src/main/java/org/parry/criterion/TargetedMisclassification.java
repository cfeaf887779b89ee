package org.parry.criterion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;

/**
 * Targeted success: the predicted class is the target. The true labels ride along because some
 * targeted losses (targeted DLR) need them.
 *
 * @param labels the targets, [N] int
 * @param trueLabels the true classes, [N] int
 */
public record TargetedMisclassification(NDArray labels, NDArray trueLabels) implements Criterion {

    @Override
    public boolean targeted() {
        return true;
    }

    @Override
    public NDArray isAdversarial(NDArray logits) {
        return logits.argMax(1).toType(DataType.INT64, false)
                .eq(labels.toType(DataType.INT64, false));
    }

    @Override
    public Criterion subset(NDArray indices) {
        return new TargetedMisclassification(labels.get(indices), trueLabels.get(indices));
    }

    @Override
    public NDList arrays() {
        return new NDList(labels, trueLabels);
    }

    @Override
    public String name() {
        return "targeted";
    }
}
