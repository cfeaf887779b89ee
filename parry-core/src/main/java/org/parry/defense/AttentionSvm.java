package org.parry.defense;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.parry.train.Optimizer;

/**
 * LADDER's attention SVM on latent features (Zhou, Tsang and Yin, "LADDER: Latent
 * boundary-guided adversarial training", Machine Learning 2022, arXiv 2206.03717): K one-vs-rest
 * linear SVMs on attention-weighted latents,
 * <pre>
 *   a(z) = d · softmax(A z + c)          (over the d latent dimensions)
 *   s_k(z) = w_k · (a(z) ⊙ z) + b_k,     k = 1..K
 * </pre>
 * trained with the squared hinge loss of the L2-SVM, t_k = +1 for the true class and −1 for the
 * others:
 * <pre>
 *   L = mean_i Σ_k max(0, 1 − t_ik s_k(z_i))² + (λ/2) ‖W‖²
 * </pre>
 * Reconstructed (the paper describes an SVM with attention on latents, not its form): the
 * attention is a softmax of a learned linear map, scaled by d so that uniform attention (A = 0,
 * c = 0, the start) is the identity and the start is a plain linear SVM; W and b start at zero.
 * With the attention held fixed at a = a(z), s_y is linear in z with gradient n = a ⊙ w_y, the
 * normal of the true class's boundary {@link #normal}: a step z − ε·n/‖n‖ lowers s_y by exactly
 * ε·‖n‖. Weights and Adam's state live in the manager the SVM is created in.
 */
final class AttentionSvm {

    private final int classes;
    private final float learningRate;
    private final float penalty;
    private final NDArray attentionWeight;
    private final NDArray attentionBias;
    private final NDArray weight;
    private final NDArray bias;
    private final Optimizer optimizer;

    /**
     * @param latentDimension d
     * @param classes K
     * @param learningRate Adam's step size
     * @param penalty λ, the weight of the L2 penalty on W
     * @param manager holds the weights and Adam's state; the caller closes it
     */
    AttentionSvm(int latentDimension, int classes, float learningRate, float penalty,
            NDManager manager) {
        this.classes = classes;
        this.learningRate = learningRate;
        this.penalty = penalty;
        this.attentionWeight = manager.zeros(new Shape(latentDimension, latentDimension),
                DataType.FLOAT32);
        this.attentionBias = manager.zeros(new Shape(latentDimension), DataType.FLOAT32);
        this.weight = manager.zeros(new Shape(classes, latentDimension), DataType.FLOAT32);
        this.bias = manager.zeros(new Shape(classes), DataType.FLOAT32);
        this.optimizer = Optimizer.adam(manager);
    }

    /** a(z) = d·softmax(A z + c): [N, d] non-negative weights whose mean over d is one. */
    NDArray attention(NDArray z) {
        long d = z.getShape().get(1);
        return z.matMul(attentionWeight.transpose()).add(attentionBias).softmax(1).mul(d);
    }

    /** s(z) with the SVM's own attention: [N, K]. */
    NDArray scores(NDArray z) {
        return scores(z, attention(z));
    }

    /** s(z) with the attention held at {@code attention}: (a ⊙ z) Wᵀ + b, [N, K]. */
    NDArray scores(NDArray z, NDArray attention) {
        return attention.mul(z).matMul(weight.transpose()).add(bias);
    }

    /**
     * n = a(z) ⊙ w_y, the gradient of the true class's score s_y with the attention held fixed:
     * the normal of its boundary, pointing to its positive side.
     *
     * @param y [N] labels
     * @return [N, d]
     */
    NDArray normal(NDArray z, NDArray y) {
        return attention(z).mul(oneHot(y).matMul(weight));
    }

    /** s_y with the attention held at {@code attention}: the true class's score, [N]. */
    NDArray trueScore(NDArray z, NDArray attention, NDArray y) {
        return scores(z, attention).mul(oneHot(y)).sum(new int[] {1});
    }

    /** The squared hinge loss of the one-vs-rest SVMs plus the L2 penalty, a scalar. */
    NDArray loss(NDArray z, NDArray y) {
        NDArray signs = oneHot(y).mul(2f).sub(1f);
        NDArray hinge = scores(z).mul(signs).neg().add(1f).maximum(0f);
        return hinge.square().sum(new int[] {1}).mean()
                .add(weight.square().sum().mul(penalty / 2f));
    }

    /**
     * One Adam step on {@link #loss}.
     *
     * @param z [N, d] latents without a gradient graph
     * @param scope a short-lived manager for the step's temporaries
     * @return the loss before the step
     */
    float train(NDArray z, NDArray y, NDManager scope) {
        return AuxiliaryDescent.step(List.of(attentionWeight, attentionBias, weight, bias),
                optimizer, learningRate, () -> loss(z, y), scope, "LADDER attention SVM");
    }

    private NDArray oneHot(NDArray y) {
        return y.toType(DataType.INT64, false).oneHot(classes).toType(DataType.FLOAT32, false);
    }
}
