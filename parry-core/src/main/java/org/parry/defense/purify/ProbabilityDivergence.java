package org.parry.defense.purify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.parry.model.Bounds;
import org.parry.model.Classifier;

/**
 * MagNet's probability-divergence detector (Meng and Chen, ACM CCS 2017): an input near the data
 * manifold changes little under the autoencoder, and neither does the classifier's belief about
 * it; an adversarial input is pulled back towards the manifold, and the classifier's belief moves.
 * With the softmax at temperature T,
 * <pre>
 *   P = softmax(f(x) / T),   Q = softmax(f(AE(x)) / T),   M = (P + Q) / 2
 *   JSD(P ‖ Q) = ½ KL(P ‖ M) + ½ KL(Q ‖ M)      ∈ [0, ln 2]   (natural logarithm)
 * </pre>
 * The authors use T = 10 and T = 40 on CIFAR-10 (a high temperature keeps the classifier's
 * confident outputs from saturating). Their code compares the classifier on the outputs of two
 * autoencoders (a "prober" and a "reconstructor") where the paper compares x with AE(x); this is the
 * paper's form, their code's with the identity as the prober.
 *
 * @param name the detector's name, e.g. {@code jsd-T10}
 * @param autoencoder AE, which the detector uses but does not close
 * @param classifier f, on [0, 1] pixels; the detector uses it but does not close it
 * @param temperature T > 0
 */
public record ProbabilityDivergence(String name, Autoencoder autoencoder, Classifier classifier,
        float temperature) implements MagNetDetector {

    private static final double SMALLEST_MEAN = 1e-300;

    public ProbabilityDivergence {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(autoencoder, "autoencoder");
        Objects.requireNonNull(classifier, "classifier");
        if (!(temperature > 0f && Float.isFinite(temperature))) {
            throw new IllegalArgumentException("divergence: temperature must be > 0, got "
                    + temperature);
        }
        if (!classifier.bounds().equals(Bounds.UNIT)) {
            throw new IllegalArgumentException("divergence: MagNet's detectors see [0, 1] pixels,"
                    + " but classifier '" + classifier.name() + "' takes inputs in ["
                    + classifier.bounds().lower() + ", " + classifier.bounds().upper() + "]; put"
                    + " its scaling inside the model");
        }
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("temperature", temperature);
        settings.put("classifier", classifier.name());
        return settings;
    }

    @Override
    public NDArray scores(NDArray x) {
        return jensenShannon(classifier.logits(x), classifier.logits(autoencoder.reconstruct(x)),
                temperature);
    }

    /**
     * JSD(softmax(a / T) ‖ softmax(b / T)) per row, computed in float64 from log-softmaxes; a
     * class whose probability underflows in both rows adds 0, as its limit does. Symmetric in a
     * and b to the bit.
     *
     * @param a [N, K] logits
     * @param b [N, K] logits
     * @return [N] float32 divergences in [0, ln 2], in {@code a}'s manager
     */
    public static NDArray jensenShannon(NDArray a, NDArray b, float temperature) {
        return divergence(a.toType(DataType.FLOAT64, false), b.toType(DataType.FLOAT64, false),
                temperature, SMALLEST_MEAN).toType(DataType.FLOAT32, false);
    }

    /**
     * The same divergence in the logits' own type, inside the autograd graph (DJL's type casts
     * cut it): the differentiable stand-in whose gradient a detector-aware attack follows, less
     * exact than {@link #jensenShannon} near 0 in float32.
     */
    public static NDArray jensenShannonInGraph(NDArray a, NDArray b, float temperature) {
        return divergence(a, b, temperature, Float.MIN_NORMAL);
    }

    private static NDArray divergence(NDArray a, NDArray b, float temperature, double smallest) {
        NDArray logP = a.div(temperature).logSoftmax(1);
        NDArray logQ = b.div(temperature).logSoftmax(1);
        NDArray p = logP.exp();
        NDArray q = logQ.exp();
        NDArray logM = p.add(q).div(2).maximum(smallest).log();
        NDArray divergence = p.mul(logP.sub(logM)).add(q.mul(logQ.sub(logM))).sum(new int[] {1})
                .div(2);
        return divergence.clip(0, Math.log(2));
    }
}
