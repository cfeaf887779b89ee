package org.parry.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * Adam (Kingma and Ba, "Adam: a method for stochastic optimization", ICLR 2015) with L2 weight
 * decay added to the gradient, as PyTorch's {@code torch.optim.Adam}:
 * m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
 */
final class Adam implements Optimizer {

    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final float weightDecay;
    private final NDManager manager;
    private final List<NDArray> firstMoments = new ArrayList<>();
    private final List<NDArray> secondMoments = new ArrayList<>();
    private NDArray stepCount;

    Adam(float beta1, float beta2, float epsilon, float weightDecay, NDManager manager) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
        this.manager = manager;
        this.stepCount = manager.create(0f);
    }

    @Override
    public void update(List<NDArray> weights, List<NDArray> gradients, float learningRate,
            NDManager scratch) {
        for (int i = firstMoments.size(); i < weights.size(); i++) {
            firstMoments.add(attached(weights.get(i).zerosLike()));
            secondMoments.add(attached(weights.get(i).zerosLike()));
        }
        // after creating the moments, so that the first step's temporaries die with scratch too
        scratch.tempAttachAll(state());
        stepCount.addi(1f);
        float t = stepCount.getFloat();
        float firstCorrection = 1f - (float) Math.pow(beta1, t);
        float secondCorrection = 1f - (float) Math.pow(beta2, t);
        for (int i = 0; i < weights.size(); i++) {
            NDArray weight = weights.get(i);
            NDArray gradient = weightDecay > 0f
                    ? gradients.get(i).add(weight.mul(weightDecay))
                    : gradients.get(i);
            NDArray m = firstMoments.get(i).muli(beta1).addi(gradient.mul(1f - beta1));
            NDArray v = secondMoments.get(i).muli(beta2).addi(gradient.square().muli(1f - beta2));
            NDArray denominator = v.div(secondCorrection).sqrt().addi(epsilon);
            weight.subi(m.div(denominator).muli(learningRate / firstCorrection));
        }
    }

    private NDArray attached(NDArray array) {
        array.attach(manager);
        return array;
    }

    @Override
    public NDList state() {
        NDList state = new NDList(stepCount);
        state.addAll(firstMoments);
        state.addAll(secondMoments);
        return state;
    }

    @Override
    public void restore(NDList state) {
        stepCount = attached(state.get(0).duplicate());
        int count = (state.size() - 1) / 2;
        firstMoments.clear();
        secondMoments.clear();
        for (int i = 0; i < count; i++) {
            firstMoments.add(attached(state.get(1 + i).duplicate()));
            secondMoments.add(attached(state.get(1 + count + i).duplicate()));
        }
    }
}
