package org.parry.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.parry.loss.LogitLoss;

/**
 * What one forward and backward pass gives an attack: the logits and per-sample loss at the input,
 * and the gradient of the summed loss with respect to the input. All three are detached from any
 * graph and attached to the manager of the input.
 *
 * @param logits [N, K]
 * @param loss [N]
 * @param gradient same shape as the input
 */
public record LossGradient(NDArray logits, NDArray loss, NDArray gradient) {

    /** One forward and backward pass, as {@link Classifier#lossGradient} computes it. */
    @FunctionalInterface
    public interface Pass {
        LossGradient at(NDArray x, NDArray labels, LogitLoss loss);
    }

    /**
     * Logits, per-sample loss and input gradient at {@code x}, each the mean over {@code draws}
     * passes: the expectation over transformation (EOT; Athalye, Engstrom, Ilyas and Kwok, ICML
     * 2018) of a randomized model, ∇_x E_t[L(f(t(x)), y)] ≈ (1/n) Σ_k ∇_x L(f(t_k(x)), y). The mean
     * is a running mean, m_k = m_{k-1} + (v_k - m_{k-1}) / k, which is exact when every pass gives
     * the same values: on a deterministic model any {@code draws} returns exactly what one pass
     * returns. The results are attached to {@code x}'s manager; each further pass's arrays die
     * with it.
     *
     * @param pass one pass, e.g. {@code model::lossGradient}
     * @param draws the number of passes, at least 1
     */
    public static LossGradient mean(Pass pass, NDArray x, NDArray labels, LogitLoss loss,
            int draws) {
        if (draws < 1) {
            throw new IllegalArgumentException("draws must be >= 1, got " + draws);
        }
        LossGradient mean = pass.at(x, labels, loss);
        NDManager owner = x.getManager();
        for (int k = 2; k <= draws; k++) {
            try (NDManager draw = owner.newSubManager()) {
                draw.tempAttachAll(x, labels);
                LossGradient next = pass.at(x, labels, loss);
                mean.logits().addi(next.logits().sub(mean.logits()).divi(k));
                mean.loss().addi(next.loss().sub(mean.loss()).divi(k));
                mean.gradient().addi(next.gradient().sub(mean.gradient()).divi(k));
            }
        }
        return mean;
    }
}
