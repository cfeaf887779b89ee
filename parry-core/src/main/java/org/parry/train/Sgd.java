package org.parry.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * Stochastic gradient descent with heavy-ball momentum and L2 weight decay, PyTorch's
 * formulation: g = grad + wd * w; v = mu * v + g; w = w - lr * v.
 */
final class Sgd implements Optimizer {

    private final float momentum;
    private final float weightDecay;
    private final NDManager manager;
    private final List<NDArray> velocities = new ArrayList<>();

    Sgd(float momentum, float weightDecay, NDManager manager) {
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.manager = manager;
    }

    @Override
    public void update(List<NDArray> weights, List<NDArray> gradients, float learningRate,
            NDManager scratch) {
        scratch.tempAttachAll(new NDList(velocities));
        for (int i = 0; i < weights.size(); i++) {
            NDArray weight = weights.get(i);
            NDArray step = gradients.get(i).add(weight.mul(weightDecay));
            if (momentum > 0f) {
                if (velocities.size() <= i) {
                    NDArray velocity = step.duplicate();
                    velocity.attach(manager);
                    velocities.add(velocity);
                } else {
                    velocities.get(i).muli(momentum).addi(step);
                }
                step = velocities.get(i);
            }
            weight.subi(step.mul(learningRate));
        }
    }

    @Override
    public NDList state() {
        return new NDList(velocities);
    }

    @Override
    public void restore(NDList state) {
        velocities.clear();
        for (NDArray array : state) {
            NDArray copy = array.duplicate();
            copy.attach(manager);
            velocities.add(copy);
        }
    }
}
