package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.parry.loss.LogitLoss;
import org.parry.model.Bounds;
import org.parry.model.Classifier;
import org.parry.model.LossGradient;

/**
 * Counts what an attack costs: gradients (images through a forward and backward pass) and
 * queries (images through a forward pass only). Wraps the model for one run.
 */
public final class CountingClassifier implements Classifier {

    private final Classifier model;
    private long gradients;
    private long queries;

    public CountingClassifier(Classifier model) {
        this.model = model;
    }

    public long gradients() {
        return gradients;
    }

    public long queries() {
        return queries;
    }

    @Override
    public String name() {
        return model.name();
    }

    @Override
    public Shape inputShape() {
        return model.inputShape();
    }

    @Override
    public int numClasses() {
        return model.numClasses();
    }

    @Override
    public Bounds bounds() {
        return model.bounds();
    }

    @Override
    public NDArray logits(NDArray x) {
        queries += x.getShape().get(0);
        return model.logits(x);
    }

    @Override
    public boolean hasGradients() {
        return model.hasGradients();
    }

    @Override
    public LossGradient lossGradient(NDArray x, NDArray labels, LogitLoss loss) {
        gradients += x.getShape().get(0);
        return model.lossGradient(x, labels, loss);
    }

    /** Does not close the wrapped model, which the caller owns. */
    @Override
    public void close() {}
}
