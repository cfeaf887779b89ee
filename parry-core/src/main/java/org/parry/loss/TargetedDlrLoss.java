package org.parry.loss;

import ai.djl.ndarray.NDArray;

/**
 * Targeted difference of logits ratio (Croce and Hein, ICML 2020), for ascent:
 * DLR_T = -(z_y - z_t) / (z_π1 - (z_π3 + z_π4) / 2 + 1e-12). The labels passed to {@link
 * #perSample} are the targets; the true labels are bound at construction. Needs K >= 4.
 */
public final class TargetedDlrLoss implements LogitLoss {

    private final NDArray trueLabels;

    /** @param trueLabels [N] the true classes of the batch this loss will be used on */
    public TargetedDlrLoss(NDArray trueLabels) {
        this.trueLabels = trueLabels;
    }

    @Override
    public NDArray perSample(NDArray logits, NDArray targets) {
        Logits.requireClasses(logits, 4, "the targeted DLR loss");
        long k = logits.getShape().get(1);
        NDArray sorted = logits.sort(1);
        NDArray scale = sorted.get(":, {}", k - 1)
                .sub(sorted.get(":, {}", k - 3).add(sorted.get(":, {}", k - 4)).div(2f))
                .add(1e-12f);
        return Logits.at(logits, trueLabels).sub(Logits.at(logits, targets)).div(scale).neg();
    }

    @Override
    public String toString() {
        return "targeted-dlr";
    }
}
