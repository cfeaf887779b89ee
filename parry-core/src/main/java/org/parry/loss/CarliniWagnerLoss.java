package org.parry.loss;

import ai.djl.ndarray.NDArray;

/**
 * The margin loss f6 of Carlini and Wagner, "Towards evaluating the robustness of neural
 * networks" (IEEE S&P 2017), written for ascent and capped at the confidence κ:
 * untargeted min(max_{j≠y} z_j - z_y, κ), targeted min(z_t - max_{j≠t} z_j, κ). Positive means
 * adversarial (with margin); the cap stops pushing once the margin κ is reached.
 */
public final class CarliniWagnerLoss implements LogitLoss {

    private final float confidence;
    private final boolean targeted;

    /**
     * @param confidence κ >= 0 (Float.POSITIVE_INFINITY for an uncapped margin)
     * @param targeted whether labels are targets
     */
    public CarliniWagnerLoss(float confidence, boolean targeted) {
        if (!(confidence >= 0f)) {
            throw new IllegalArgumentException("confidence (kappa) must be >= 0, got " + confidence);
        }
        this.confidence = confidence;
        this.targeted = targeted;
    }

    @Override
    public NDArray perSample(NDArray logits, NDArray labels) {
        NDArray own = Logits.at(logits, labels);
        NDArray other = Logits.maxOther(logits, labels);
        NDArray margin = targeted ? own.sub(other) : other.sub(own);
        return Float.isInfinite(confidence) ? margin : margin.minimum(confidence);
    }

    @Override
    public String toString() {
        return (targeted ? "targeted " : "") + "cw-margin(kappa=" + confidence + ")";
    }
}
