package org.parry.loss;

import ai.djl.ndarray.NDArray;

/**
 * Difference of logits ratio, untargeted (Croce and Hein, "Reliable evaluation of adversarial
 * robustness with an ensemble of diverse parameter-free attacks", ICML 2020), for ascent:
 * DLR = -(z_y - max_{j≠y} z_j) / (z_π1 - z_π3 + 1e-12), with z_π sorted descending.
 * Invariant to z ↦ a z + b (a > 0); needs K >= 3.
 */
public final class DlrLoss implements LogitLoss {

    private static final DlrLoss INSTANCE = new DlrLoss();

    private DlrLoss() {}

    public static DlrLoss get() {
        return INSTANCE;
    }

    @Override
    public NDArray perSample(NDArray logits, NDArray labels) {
        Logits.requireClasses(logits, 3, "the DLR loss");
        long k = logits.getShape().get(1);
        NDArray sorted = logits.sort(1);
        NDArray scale = sorted.get(":, {}", k - 1).sub(sorted.get(":, {}", k - 3)).add(1e-12f);
        return Logits.at(logits, labels).sub(Logits.maxOther(logits, labels)).div(scale).neg();
    }

    @Override
    public String toString() {
        return "dlr";
    }
}
