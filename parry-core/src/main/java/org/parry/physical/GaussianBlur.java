package org.parry.physical;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.parry.model.Bounds;
import org.parry.model.Stage;

/**
 * Gaussian blur, one of the artificial transformations of Kurakin, Goodfellow and Bengio
 * ("Adversarial examples in the physical world", ICLR workshop 2017, section 4.2; their table
 * uses σ = 1 and 2 pixels): the separable Gaussian filter with scipy.ndimage.gaussian_filter's
 * conventions (truncate = 4, edges replicated as its mode "nearest"),
 * <pre>
 *   w_a = exp(-a² / 2σ²) / Σ_b exp(-b² / 2σ²),   a ∈ {-r, ..., r},  r = ⌊4σ + 1/2⌋
 *   K[i, j] = Σ_{a : clamp(i + a) = j} w_a,      s(x) = K_H · x · K_Wᵀ   per image and channel
 * </pre>
 * with σ ~ U[sigma.from, sigma.to] per image. It emulates the printer's dot spread and the
 * camera's defocus and motion. The rows of K sum to 1, so a constant image is kept and the result
 * stays in the box; as two matrix products the stage is differentiable (the gradient is Kᵀ).
 *
 * @param sigma σ in pixels, within [0, 20]; 0 is the identity; a point for the fixed transform
 */
public record GaussianBlur(Range sigma) implements Stage {

    public GaussianBlur {
        Objects.requireNonNull(sigma, "sigma").within("blur", "sigma", 0f, 20f);
    }

    /** The fixed blur of {@code sigma} pixels. */
    public static GaussianBlur of(float sigma) {
        return new GaussianBlur(Range.of(sigma));
    }

    @Override
    public String name() {
        return "blur";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("sigma", sigma.setting());
        return settings;
    }

    @Override
    public NDArray apply(NDArray x, Bounds bounds, SplittableRandom random) {
        int images = Math.toIntExact(x.getShape().get(0));
        int height = Math.toIntExact(x.getShape().get(2));
        int width = Math.toIntExact(x.getShape().get(3));
        float[] sigmas = sigma.draw(random, images);
        NDManager manager = x.getManager();
        NDArray rows = filters(manager, sigmas, height).toType(x.getDataType(), false);
        NDArray columns = filters(manager, sigmas, width).toType(x.getDataType(), false);
        return rows.matMul(x).matMul(columns.transpose(0, 1, 3, 2));
    }

    /** Per image, the [size, size] filter matrix K of its σ, as [N, 1, size, size]. */
    private static NDArray filters(NDManager manager, float[] sigmas, int size) {
        float[] matrices = new float[sigmas.length * size * size];
        for (int image = 0; image < sigmas.length; image++) {
            float[] weights = weights(sigmas[image]);
            int radius = weights.length / 2;
            int offset = image * size * size;
            for (int i = 0; i < size; i++) {
                for (int a = -radius; a <= radius; a++) {
                    int j = Math.max(0, Math.min(size - 1, i + a));
                    matrices[offset + i * size + j] += weights[a + radius];
                }
            }
        }
        return manager.create(matrices, new Shape(sigmas.length, 1, size, size));
    }

    /** The normalized kernel w_{-r}, ..., w_r (just [1] for σ = 0). */
    static float[] weights(float sigma) {
        int radius = (int) (4 * sigma + 0.5f);
        double[] raw = new double[2 * radius + 1];
        double sum = 0;
        for (int a = -radius; a <= radius; a++) {
            raw[a + radius] = radius == 0 ? 1 : Math.exp(-(double) a * a / (2.0 * sigma * sigma));
            sum += raw[a + radius];
        }
        float[] weights = new float[raw.length];
        for (int k = 0; k < raw.length; k++) {
            weights[k] = (float) (raw[k] / sum);
        }
        return weights;
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public boolean randomized() {
        return !sigma.fixed();
    }
}
