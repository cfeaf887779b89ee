package org.parry.testing;

import ai.djl.ndarray.NDArray;
import org.parry.loss.LogitLoss;
import org.parry.model.Bounds;
import org.parry.model.Classifier;
import org.parry.model.ForwardingClassifier;
import org.parry.model.LossGradient;

/**
 * A model whose box is [-1, 1] (as for networks trained on inputs scaled to [-1, 1]): maps x to
 * (x + 1) / 2 and passes that to a pixel-space model, so a point of [-1, 1] means what its image
 * in [0, 1] means to the wrapped model. The gradient is the wrapped model's, halved (chain rule).
 * The mapped input lives in x's manager, until the caller's step ends. Does not close the wrapped
 * model.
 */
public final class SymmetricBoxClassifier extends ForwardingClassifier {

    /** The box of this model. */
    public static final Bounds BOX = new Bounds(-1f, 1f);

    public SymmetricBoxClassifier(Classifier model) {
        super(model);
    }

    /** Pixels of [0, 1] as this model's inputs: 2x - 1. */
    public static NDArray toBox(NDArray pixels) {
        return pixels.mul(2f).sub(1f);
    }

    @Override
    public Bounds bounds() {
        return BOX;
    }

    @Override
    public NDArray logits(NDArray x) {
        return model.logits(toPixels(x));
    }

    @Override
    public LossGradient lossGradient(NDArray x, NDArray labels, LogitLoss loss) {
        LossGradient pass = model.lossGradient(toPixels(x), labels, loss);
        return new LossGradient(pass.logits(), pass.loss(), pass.gradient().div(2f));
    }

    private static NDArray toPixels(NDArray x) {
        return x.add(1f).div(2f);
    }
}
