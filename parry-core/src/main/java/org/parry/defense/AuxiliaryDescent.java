package org.parry.defense;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.parry.engine.Backward;
import org.parry.train.Optimizer;

/**
 * One gradient step of a network trained beside the classifier (LADDER's decoder and attention
 * SVM), outside the trainer's collector: only {@code weights} require gradients, for the duration
 * of the step, in a gradient collector of its own (PyTorch allows one at a time: call this
 * outside any other). Inputs computed from the classifier before the step carry no graph, so the
 * classifier's parameters receive nothing (defenses.md §0.2.2). The gradients are zeroed after
 * the update, so nothing accumulates between steps.
 */
final class AuxiliaryDescent {

    private AuxiliaryDescent() {}

    /**
     * @param weights the arrays to update in place; their gradients die with {@code scope}
     * @param loss computes the scalar loss from {@code weights} (called inside the collector)
     * @param scope a short-lived manager of the caller, which the temporaries of the step join
     * @return the loss before the update
     * @throws IllegalStateException when the loss is not finite
     */
    static float step(List<NDArray> weights, Optimizer optimizer, float learningRate,
            Supplier<NDArray> loss, NDManager scope, String network) {
        scope.tempAttachAll(new NDList(weights));
        List<NDArray> gradients = new ArrayList<>(weights.size());
        NDArray value;
        weights.forEach(weight -> weight.setRequiresGradient(true));
        try {
            try (GradientCollector collector = Backward.collector()) {
                value = loss.get();
                Backward.run(collector, value);
            }
            weights.forEach(weight -> gradients.add(weight.getGradient()));
        } finally {
            weights.forEach(weight -> weight.setRequiresGradient(false));
        }
        float result = value.getFloat();
        if (!Float.isFinite(result)) {
            throw new IllegalStateException("training the " + network + " diverged: its loss is "
                    + result + " at learning rate " + learningRate + "; lower its learning rate");
        }
        optimizer.update(weights, gradients, learningRate, scope);
        weights.forEach(weight -> JniUtils.zeroGrad((PtNDArray) weight));
        return result;
    }
}
