package org.parry.model.zoo;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * The joint loss of a network with auxiliary heads (CIFS probes; Yan, Zhang, Niu, Feng, Tan and
 * Sugiyama, "CIFS: Improving adversarial robustness of CNNs via channel-wise importance-based
 * feature selection", ICML 2021):
 * <pre>
 *   J = 3 / (β + 1) · [ ℓ(f(x), y) + (β / L) · Σ_l ℓ(p_l(x), y) ]
 * </pre>
 * over the L probes p_l, with β = 2 by default (J then weighs the classifier and the probes
 * 1 : 1). Training descends J with ℓ = cross-entropy; an attack on such a model ascends J with its
 * own ℓ, since attacking the classifier's head alone overstates robustness (the paper's and its
 * code's evaluation). The one place this formula lives: the trainer and {@code BlockClassifier}
 * both call {@link #combine}.
 */
public final class JointLoss {

    private JointLoss() {}

    /**
     * @param main ℓ of the classifier's head (per sample, or a scalar)
     * @param probeTerms ℓ of each probe, shaped like {@code main}; none gives {@code main}
     * @param beta β
     */
    public static NDArray combine(NDArray main, List<NDArray> probeTerms, float beta) {
        if (probeTerms.isEmpty()) {
            return main;
        }
        NDArray probes = probeTerms.get(0);
        for (NDArray term : probeTerms.subList(1, probeTerms.size())) {
            probes = probes.add(term);
        }
        return main.add(probes.mul(beta / probeTerms.size())).mul(3f / (beta + 1f));
    }

    /** The β the probes of one pass share. */
    public static float beta(List<SideOutputs.Probe> probes) {
        float beta = probes.get(0).weight();
        for (SideOutputs.Probe probe : probes) {
            if (probe.weight() != beta) {
                throw new IllegalStateException("the probes of one network have different weights ("
                        + beta + ", " + probe.weight() + ")");
            }
        }
        return beta;
    }
}
