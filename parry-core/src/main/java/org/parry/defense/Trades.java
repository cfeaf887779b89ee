package org.parry.defense;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Map;
import java.util.function.BinaryOperator;
import org.parry.data.Batch;
import org.parry.loss.CrossEntropyLoss;
import org.parry.loss.LogitLoss;
import org.parry.model.Classifier;
import org.parry.train.PreparedBatch;
import org.parry.train.TrainingNetwork;
import org.parry.train.TrainingObjective;

/**
 * TRADES (Zhang, Yu, Jiao, Xing, El Ghaoui and Jordan, "Theoretically principled trade-off between
 * robustness and accuracy", ICML 2019): minimize CE(f(x), y) + β·KL(p(x) ‖ p(x')), where x'
 * maximizes the same KL divergence in the L∞ ball: k sign-gradient steps of size α from
 * x + 0.001·N(0, I), the clean distribution p(x) held fixed during the attack. Both terms are
 * differentiated in the training step (the KL through both of its arguments, as the official
 * code does). Paper defaults: β = 6, 10 steps of 0.007 at ε = 0.031 (CIFAR-10); 40 steps of 0.01
 * at ε = 0.3 (MNIST). Parry's defaults: 10 steps of ε/4.
 *
 * @param epsilon the L∞ radius
 * @param stepSize α
 * @param steps k
 * @param beta β, the weight of the robustness term
 */
public record Trades(float epsilon, float stepSize, int steps, float beta)
        implements TrainingObjective {

    private static final float START_NOISE = 0.001f;

    public Trades {
        SignSteps.require(epsilon, stepSize, steps);
        Require.positive("beta", beta);
    }

    @Override
    public String name() {
        return "trades";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = SignSteps.settings(epsilon, stepSize, steps);
        settings.put("beta", beta);
        return settings;
    }

    @Override
    public PreparedBatch prepare(Classifier model, Batch batch) {
        return PreparedBatch.withAdversarial(batch, ascendDivergence(model, batch,
                Trades::klDivergence, epsilon, stepSize, steps));
    }

    /**
     * TRADES's inner maximization, shared with the objectives that change its divergence (SPAT):
     * k sign-gradient steps of size α in the L∞ ball from x + 0.001·N(0, I) (clipped to the
     * model's box), ascending D(log p(x), f(x')) with the clean log-probabilities held fixed.
     *
     * @param divergence D: clean log-probabilities [N, K] and logits [N, K] to [N]
     * @return the last iterate, in the ball and the box
     */
    static NDArray ascendDivergence(Classifier model, Batch batch,
            BinaryOperator<NDArray> divergence, float epsilon, float stepSize, int steps) {
        NDArray x = batch.x();
        NDArray cleanLogProbabilities = model.logits(x).logSoftmax(1);
        LogitLoss loss = (logits, labels) -> divergence.apply(cleanLogProbabilities, logits);
        NDArray start = model.bounds().clip(x.add(x.getManager().randomNormal(0f, START_NOISE,
                x.getShape(), DataType.FLOAT32)));
        return SignSteps.ascend(model, x, start, batch.y(), loss, epsilon, stepSize, steps);
    }

    @Override
    public StepLoss loss(TrainingNetwork network, PreparedBatch prepared) {
        return regularized(network, prepared, beta);
    }

    /**
     * CE(f(x), y) + β·KL(p(x) ‖ p(x')) with x' the prepared batch's perturbed images, both terms
     * differentiated (the KL through both arguments); two forward passes, clean then perturbed.
     * The progress bar shows the clean accuracy. TRADES and THRM share it.
     */
    static StepLoss regularized(TrainingNetwork network, PreparedBatch prepared, float beta) {
        NDArray cleanLogits = network.logits(prepared.x());
        NDArray perturbedLogits = network.logits(prepared.requireAdversarial());
        NDArray natural = CrossEntropyLoss.get().perSample(cleanLogits, prepared.y()).mean();
        NDArray robust = klDivergence(cleanLogits.logSoftmax(1), perturbedLogits).mean();
        return new StepLoss(natural.add(robust.mul(beta)), cleanLogits, prepared.y());
    }

    /**
     * KL(p ‖ softmax(logits)) per sample, with p given by its logarithm.
     *
     * @return [N]
     */
    static NDArray klDivergence(NDArray logP, NDArray logits) {
        return klTerms(logP, logits).sum(new int[] {1});
    }

    /**
     * The terms p_j·(log p_j − log q_j) of KL(p ‖ q), q = softmax(logits), p given by its
     * logarithm.
     *
     * @return [N, K]
     */
    static NDArray klTerms(NDArray logP, NDArray logits) {
        return logP.exp().mul(logP.sub(logits.logSoftmax(1)));
    }
}
