package org.parry.defense;

import ai.djl.ndarray.NDArray;
import org.parry.loss.LogitLoss;
import org.parry.model.Classifier;
import org.parry.norm.Norm;

/**
 * The inner maximization of L∞ adversarial training: projected sign-gradient steps from a start
 * point, returning the last iterate (the papers train on it; no best-iterate tracking, no early
 * stop). Training-time only: evaluations use {@link org.parry.attack.Pgd}.
 */
final class SignSteps {

    private SignSteps() {}

    /**
     * @param x clean images, the centre of the ball
     * @param start the first iterate, inside the ball and the box
     * @param labels what {@code loss} compares logits with
     * @return the last iterate, in the ball and in [0, 1]
     */
    static NDArray ascend(Classifier model, NDArray x, NDArray start, NDArray labels,
            LogitLoss loss, float epsilon, float stepSize, int steps) {
        NDArray current = start;
        for (int step = 0; step < steps; step++) {
            NDArray gradient = model.lossGradient(current, labels, loss).gradient();
            current = Norm.LINF.project(current.add(gradient.sign().mul(stepSize)), x, epsilon);
        }
        return current;
    }

    /** x + U(-ε, ε) clipped to [0, 1], drawn from PyTorch's generator. */
    static NDArray uniformStart(NDArray x, float epsilon) {
        return x.add(x.getManager().randomUniform(-epsilon, epsilon, x.getShape())).clip(0f, 1f);
    }
}
