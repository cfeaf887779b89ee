package org.parry.attack;

import ai.djl.ndarray.NDArray;
import org.parry.loss.LogitLoss;
import org.parry.model.Classifier;
import org.parry.model.ForwardingClassifier;
import org.parry.model.LossGradient;

/**
 * Counts what an attack costs: gradients (images through a forward and backward pass) and
 * queries (images through a forward pass only). Wraps the model for one run.
 */
public final class CountingClassifier extends ForwardingClassifier {

    private long gradients;
    private long queries;

    public CountingClassifier(Classifier model) {
        super(model);
    }

    public long gradients() {
        return gradients;
    }

    public long queries() {
        return queries;
    }

    @Override
    public NDArray logits(NDArray x) {
        queries += x.getShape().get(0);
        return model.logits(x);
    }

    @Override
    public LossGradient lossGradient(NDArray x, NDArray labels, LogitLoss loss) {
        gradients += x.getShape().get(0);
        return model.lossGradient(x, labels, loss);
    }
}
