package org.parry.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;
import org.parry.loss.LogitLoss;

/**
 * A classifier that passes every call to another one: the base of wrappers that change or watch
 * one thing (count gradients, add noise, sample memory) and keep the rest. Subclasses override
 * only what they change. Closing it does not close the wrapped model, which the caller owns.
 */
public abstract class ForwardingClassifier implements Classifier {

    /** The wrapped model. */
    protected final Classifier model;

    protected ForwardingClassifier(Classifier model) {
        this.model = Objects.requireNonNull(model, "model");
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
        return model.logits(x);
    }

    @Override
    public boolean hasGradients() {
        return model.hasGradients();
    }

    @Override
    public LossGradient lossGradient(NDArray x, NDArray labels, LogitLoss loss) {
        return model.lossGradient(x, labels, loss);
    }

    /** Does not close the wrapped model, which the caller owns. */
    @Override
    public void close() {}
}
