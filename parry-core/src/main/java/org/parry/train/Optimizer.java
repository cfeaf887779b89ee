package org.parry.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * Updates parameters in place from their gradients. Its state (momentum buffers, moment
 * estimates, step count) can be saved and restored, so a resumed run continues exactly where the
 * interrupted one stopped.
 */
public interface Optimizer {

    /**
     * One update of every parameter; {@code weights.get(i)} pairs with {@code gradients.get(i)}.
     * The caller temporarily attaches weights and gradients to {@code scratch}, and the optimizer
     * does the same with its state, so every temporary dies with {@code scratch}.
     */
    void update(List<NDArray> weights, List<NDArray> gradients, float learningRate,
            NDManager scratch);

    /** The state to checkpoint. */
    NDList state();

    /** Restores a checkpointed state; the arrays are copied into the optimizer's manager. */
    void restore(NDList state);

    /**
     * Adam with PyTorch's defaults (β1 0.9, β2 0.999, ε 1e-8) and no weight decay, keeping its
     * state in {@code manager}: for networks trained beside the model (LADDER's decoder and SVM).
     */
    static Optimizer adam(NDManager manager) {
        return new Adam(0.9f, 0.999f, 1e-8f, 0f, manager);
    }

    /** The optimizer that {@code settings} names, keeping its state in {@code manager}. */
    static Optimizer of(TrainingSettings settings, NDManager manager) {
        return settings.optimizer().equals("sgd")
                ? new Sgd(settings.momentum(), settings.weightDecay(), manager)
                : new Adam(0.9f, 0.999f, 1e-8f, settings.weightDecay(), manager);
    }
}
