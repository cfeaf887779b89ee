package org.parry.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

/**
 * A classifier that runs its wrapped network on one row at a time, so that a sample's logits and
 * gradient are bit for bit the same whatever batch it is in. Batched convolution and matrix
 * kernels round differently for different batch sizes (about 1e-6 on the logits of the synthetic
 * CNN); attacks whose paths amplify such noise are tested for batch invariance of their own logic
 * on this wrapper.
 */
public final class RowByRowClassifier extends DifferentiableClassifier {

    private final DifferentiableClassifier model;

    public RowByRowClassifier(DifferentiableClassifier model) {
        super(model.name() + "-row-by-row", model.inputShape(), model.numClasses());
        this.model = model;
    }

    @Override
    public Bounds bounds() {
        return model.bounds();
    }

    @Override
    protected NDArray forward(NDArray x, boolean forGradient) {
        if (x.getShape().get(0) == 1) {
            return model.forward(x, forGradient); // DJL's concat of one array drops its graph
        }
        NDList rows = new NDList();
        for (NDArray row : x.split(x.getShape().get(0))) {
            rows.add(model.forward(row, forGradient));
        }
        return NDArrays.concat(rows);
    }

    /** Does not close the wrapped model, which the caller owns. */
    @Override
    public void close() {}
}
