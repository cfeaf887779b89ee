package org.parry.defense;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import org.parry.loss.LogitLoss;
import org.parry.model.Bounds;
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
     * @return the last iterate, in the ball and in the model's box
     */
    static NDArray ascend(Classifier model, NDArray x, NDArray start, NDArray labels,
            LogitLoss loss, float epsilon, float stepSize, int steps) {
        NDArray current = start;
        for (int step = 0; step < steps; step++) {
            NDArray gradient = model.lossGradient(current, labels, loss).gradient();
            current = Norm.LINF.project(current.add(gradient.sign().mul(stepSize)), x, epsilon,
                    model.bounds());
        }
        return current;
    }

    /** Checks a training attack's settings: ε in (0, 1], a positive step, at least one step. */
    static void require(float epsilon, float stepSize, int steps) {
        Require.epsilon(epsilon);
        Require.positive("stepSize", stepSize);
        Require.atLeast("steps", steps, 1);
    }

    /**
     * A training attack's settings as the first entries of its objective's settings (the model
     * card's order): epsilon, stepSize, steps; the objective adds its own after them.
     */
    static Map<String, Object> settings(float epsilon, float stepSize, int steps) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("epsilon", epsilon);
        settings.put("stepSize", stepSize);
        settings.put("steps", steps);
        return settings;
    }

    /** x + U(-ε, ε) clipped to the model's box, drawn from PyTorch's generator. */
    static NDArray uniformStart(NDArray x, float epsilon, Bounds box) {
        return box.clip(x.add(x.getManager().randomUniform(-epsilon, epsilon, x.getShape())));
    }
}
