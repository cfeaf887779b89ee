package org.parry.defense.purify;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * MagNet's reconstruction-error detector (Meng and Chen, ACM CCS 2017): an autoencoder trained on
 * clean data reconstructs clean inputs well and inputs off the data manifold badly, so the mean
 * p-th power of the reconstruction error over the d = C·H·W pixels,
 * <pre>
 *   E_p(x) = (1/d) Σ_i |x_i − AE(x)_i|^p
 * </pre>
 * scores how far x lies from the manifold. The authors' MNIST defense uses AE-I with p = 2 and
 * AE-II with p = 1. The identity autoencoder scores every input 0.
 *
 * @param name the detector's name, e.g. {@code error-I}
 * @param autoencoder AE, which the detector uses but does not close
 * @param p the power, at least 1
 */
public record ReconstructionError(String name, Autoencoder autoencoder, float p)
        implements MagNetDetector {

    public ReconstructionError {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(autoencoder, "autoencoder");
        if (!(p >= 1f && Float.isFinite(p))) {
            throw new IllegalArgumentException("reconstruction error: p must be >= 1, got " + p);
        }
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("p", p);
        return settings;
    }

    @Override
    public NDArray scores(NDArray x) {
        NDArray error = x.sub(autoencoder.reconstruct(x)).abs();
        NDArray powered = p == 1f ? error : p == 2f ? error.square() : error.pow(p);
        return powered.reshape(x.getShape().get(0), -1).mean(new int[] {1});
    }
}
