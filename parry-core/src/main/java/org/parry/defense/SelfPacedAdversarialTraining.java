package org.parry.defense;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Map;
import org.parry.data.Batch;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.Classifier;
import org.parry.train.PreparedBatch;
import org.parry.train.TrainingNetwork;
import org.parry.train.TrainingObjective;

/**
 * SPAT, self-paced adversarial training (Hou, Han and Li, "Improving adversarial robustness with
 * self-paced hard-class pair reweighting", AAAI 2023, arXiv:2210.15068). Untargeted attacks push
 * most images of a class into its semantically closest class (a hard-class pair); SPAT trains a
 * cosine classifier ({@link org.parry.model.zoo.CosineLinear}, logits s·c with
 * c_k = cos(φ(x), w_k)) and weighs hard pairs up in both of its terms:
 *
 * <pre>
 *   natural:  z_y = s·(1 + m − c_y)·c_y,   z_k = s·(c_k + m)·c_k  (k ≠ y),   L_nat = CE(z, y)
 *   robust:   p = softmax(s·c(x)),  q = softmax(s·c(x')),  k_j = p_j·log(p_j / q_j),
 *             L_rob = (1/B)·Σ_i Σ_j k_j·(k_j + n)
 *   total:    L_nat + β·L_rob
 * </pre>
 *
 * A poorly fitted target (small c_y) and a close wrong class (large c_k) get larger weights in
 * the natural loss; in the robust loss, the classes whose probability the attack moves most (the
 * hard pair's) weigh quadratically more than in TRADES's KL (for small divergences L_rob ≈ n·KL).
 * x' maximizes L_rob's per-sample sum with p held fixed: TRADES's attack ({@link
 * Trades#ascendDivergence}), {@code steps} sign-gradient steps from x + 0.001·N(0, I), crafted
 * with the model in evaluation mode. As in the official code, the weights (1 + m − c_y) and
 * (c_k + m) are differentiated with the cosines they multiply (circle loss would hold them
 * fixed), so z_y peaks at c_y = (1 + m)/2 and z_k is least at c_k = −m/2; both p and q are
 * differentiated in the robust term.
 *
 * <p>Defaults of the official code: β = 6, m = 0.2, n = 0.2, s = 8; 10 steps of 0.007 at
 * ε = 0.031 (CIFAR-10). Parry's: 10 steps of ε/4, its convention for TRADES. The scale s is the
 * model's: the loss reads it from the network's cosine head, and a network without one is an
 * error that says to train with {@code --head cosine}.
 *
 * @param epsilon the L∞ radius
 * @param stepSize the attack's step α
 * @param steps the attack's number of steps
 * @param beta β, the weight of the robust term, > 0
 * @param margin m, the natural loss's margin, >= 0
 * @param klOffset n, added to each class's KL term in its own weight, >= 0 (n = 0 gives Σ k_j²)
 */
public record SelfPacedAdversarialTraining(float epsilon, float stepSize, int steps, float beta,
        float margin, float klOffset) implements TrainingObjective {

    public SelfPacedAdversarialTraining {
        SignSteps.require(epsilon, stepSize, steps);
        Require.positive("beta", beta);
        Require.nonNegative("margin", margin);
        Require.nonNegative("klOffset", klOffset);
    }

    @Override
    public String name() {
        return "spat";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = SignSteps.settings(epsilon, stepSize, steps);
        settings.put("beta", beta);
        settings.put("margin", margin);
        settings.put("klOffset", klOffset);
        return settings;
    }

    @Override
    public PreparedBatch prepare(Classifier model, Batch batch) {
        return PreparedBatch.withAdversarial(batch, Trades.ascendDivergence(model, batch,
                (cleanLogP, logits) -> weightedDivergence(cleanLogP, logits, klOffset), epsilon,
                stepSize, steps));
    }

    @Override
    public StepLoss loss(TrainingNetwork network, PreparedBatch prepared) {
        float scale = (float) network.cosineScale().orElseThrow(() -> new IllegalArgumentException(
                "spat trains a cosine classifier, but this network's last layer is linear; train"
                        + " it with --head cosine"));
        NDArray cleanLogits = network.logits(prepared.x());
        NDArray adversarialLogits = network.logits(prepared.requireAdversarial());
        NDArray reweighted = reweightedLogits(cleanLogits.div(scale), prepared.y(), margin, scale);
        NDArray natural = CrossEntropyLoss.get().perSample(reweighted, prepared.y()).mean();
        NDArray robust = weightedDivergence(cleanLogits.logSoftmax(1), adversarialLogits, klOffset)
                .mean();
        return new StepLoss(natural.add(robust.mul(beta)), cleanLogits, prepared.y());
    }

    /**
     * The natural loss's logits z: s·(1 + m − c_y)·c_y for the label, s·(c_k + m)·c_k for the
     * others. With c in [−1, 1] and m >= 0, |z_k| <= s·(2 + m), reached by the label at c_y = −1.
     *
     * @param cosines c [N, K]
     * @param labels y [N]
     * @return z [N, K]
     */
    static NDArray reweightedLogits(NDArray cosines, NDArray labels, float margin, float scale) {
        NDArray target = labels.toType(DataType.INT64, false)
                .oneHot(Math.toIntExact(cosines.getShape().get(1)), cosines.getDataType());
        NDArray weights = target.mul(cosines.neg().add(1f + margin))
                .add(target.neg().add(1f).mul(cosines.add(margin)));
        return weights.mul(cosines).mul(scale);
    }

    /**
     * Σ_j k_j·(k_j + n) per sample, with k_j = p_j·log(p_j / q_j) and q = softmax(logits).
     *
     * @param cleanLogP log p [N, K]
     * @return [N]
     */
    static NDArray weightedDivergence(NDArray cleanLogP, NDArray logits, float klOffset) {
        NDArray terms = Trades.klTerms(cleanLogP, logits);
        return terms.mul(terms.add(klOffset)).sum(new int[] {1});
    }
}
