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
 * THRM, TRADES-like hypocritical risk minimization (Tao, Feng, Yi and Chen, "With false friends
 * like these, who can notice mistakes?", AAAI 2022, arXiv:2012.14738; code TLMichael/False-Friends,
 * {@code thrm_loss}): minimize CE(f(x), y) + β·KL(p(x) ‖ p(x_hyp)), where the hypocritical example
 * x_hyp = argmin_{x' ∈ B_ε(x) ∩ [0,1]} CE(f(x'), y) is what a "false friend" would show to make a
 * mistake look right: k sign steps x ← Π(x − α·sign(∇ₓ CE)) from x + 0.01·N(0, I) (the code's
 * start, clipped to the box), crafted in evaluation mode with the true labels. The regularizer
 * pulls the output on x_hyp back to the clean output, the target distribution of the KL (the
 * code's {@code KLDivLoss(log_softmax(f(x_hyp)), softmax(f(x)))}, batch mean, the clean logits not
 * detached), so that no nearby point can be classified better than x itself: the model's mistakes
 * stay visible. It is TRADES ({@link Trades}) with the attack's direction reversed, and shares its
 * loss. Code defaults: β = 6 (the sweep runs 1 to 100), 10 steps of ε/4 at ε = 8/255 for training.
 * Parry's defaults: 10 steps of ε/4. As in Parry's TRADES, the clean and hypocritical batches go
 * through the network in two forward passes (the code concatenates them into one, which matters
 * only for batch normalization). β = 0 is allowed: it is standard training (the attack still runs).
 *
 * @param epsilon the L∞ radius
 * @param stepSize α
 * @param steps k
 * @param beta β ≥ 0, the weight of the regularizer
 */
public record HypocriticalRiskMinimization(float epsilon, float stepSize, int steps, float beta)
        implements TrainingObjective {

    private static final float START_NOISE = 0.01f;

    public HypocriticalRiskMinimization {
        SignSteps.require(epsilon, stepSize, steps);
        Require.nonNegative("beta", beta);
    }

    @Override
    public String name() {
        return "thrm";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = SignSteps.settings(epsilon, stepSize, steps);
        settings.put("beta", beta);
        return settings;
    }

    @Override
    public PreparedBatch prepare(Classifier model, Batch batch) {
        return PreparedBatch.withAdversarial(batch, hypocritical(model, batch));
    }

    /** x_hyp: sign-gradient descent of the true label's cross-entropy in the ball. */
    NDArray hypocritical(Classifier model, Batch batch) {
        NDArray x = batch.x();
        NDArray start = model.bounds().clip(x.add(x.getManager().randomNormal(0f, START_NOISE,
                x.getShape(), DataType.FLOAT32)));
        return SignSteps.ascend(model, x, start, batch.y(), CrossEntropyLoss.get().negate(),
                epsilon, stepSize, steps);
    }

    @Override
    public StepLoss loss(TrainingNetwork network, PreparedBatch prepared) {
        return Trades.regularized(network, prepared, beta);
    }
}
