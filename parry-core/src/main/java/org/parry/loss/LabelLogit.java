package org.parry.loss;

import ai.djl.ndarray.NDArray;

/**
 * The logit of the label, z_y, per sample: not a loss to ascend or descend but the quantity whose
 * gradient says how much each input (or feature) supports the label, as in the channel relevance
 * of Yan et al., "CIFS: improving adversarial robustness of CNNs via channel-wise
 * importance-based feature selection" (ICML 2021), {@code r_c = Σ_{h,w} ∂z_y/∂f_{c,h,w}}.
 */
public final class LabelLogit implements LogitLoss {

    private static final LabelLogit INSTANCE = new LabelLogit();

    private LabelLogit() {}

    /** The shared instance; it has no settings. */
    public static LabelLogit get() {
        return INSTANCE;
    }

    @Override
    public NDArray perSample(NDArray logits, NDArray labels) {
        return Logits.at(logits, labels);
    }

    @Override
    public String toString() {
        return "label logit";
    }
}
