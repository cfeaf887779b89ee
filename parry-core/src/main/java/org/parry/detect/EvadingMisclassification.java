package org.parry.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import org.parry.criterion.Criterion;

/**
 * Success against a classifier guarded by a detector, on the (K+1)-class model of {@link
 * DetectorAwareClassifier}: the predicted class is neither the true label nor the rejection class
 * K, so the input is misclassified and not flagged (Carlini and Wagner, AISec 2017).
 *
 * @param labels [N] true labels
 * @param rejectClass K, the class that stands for "flagged"
 */
public record EvadingMisclassification(NDArray labels, int rejectClass) implements Criterion {

    @Override
    public boolean targeted() {
        return false;
    }

    @Override
    public NDArray isAdversarial(NDArray logits) {
        NDArray predicted = logits.argMax(1).toType(DataType.INT64, false);
        return predicted.neq(labels.toType(DataType.INT64, false))
                .logicalAnd(predicted.neq(rejectClass));
    }

    @Override
    public Criterion subset(NDArray indices) {
        return new EvadingMisclassification(labels.get(indices), rejectClass);
    }

    @Override
    public NDList arrays() {
        return new NDList(labels);
    }

    @Override
    public String name() {
        return "evading-misclassification";
    }
}
