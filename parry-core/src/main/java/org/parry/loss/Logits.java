package org.parry.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;

/** Per-sample selections from logits that the margin losses share. */
final class Logits {

    private Logits() {}

    /** z_label for each sample, [N]. */
    static NDArray at(NDArray logits, NDArray labels) {
        return logits.gather(labels.toType(DataType.INT64, false).reshape(-1, 1), 1).reshape(-1);
    }

    /** max_{j != label} z_j for each sample, [N] (selected by masking, not by multiplying). */
    static NDArray maxOther(NDArray logits, NDArray labels) {
        int classes = Math.toIntExact(logits.getShape().get(1));
        NDArray isLabel = labels.toType(DataType.INT64, false).oneHot(classes).gt(0.5f);
        NDArray masked = NDArrays.where(isLabel, logits.zerosLike().sub(Float.MAX_VALUE), logits);
        return masked.max(new int[] {1});
    }

    /** Requires K >= minimum, naming the loss and what to use instead. */
    static void requireClasses(NDArray logits, int minimum, String loss) {
        long classes = logits.getShape().get(1);
        if (classes < minimum) {
            throw new IllegalArgumentException(loss + " needs at least " + minimum
                    + " classes but the model has " + classes
                    + "; use the cross-entropy or C&W margin loss instead");
        }
    }
}
