package org.parry.physical;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.parry.model.Bounds;
import org.parry.model.Stage;

/**
 * A small rotation, scaling and translation, the geometric part of the photo emulation: in
 * Kurakin, Goodfellow and Bengio ("Adversarial examples in the physical world", ICLR workshop
 * 2017, section 3) the photographed print is cropped and warped back by its QR markers, which
 * leaves a residual misalignment of a few degrees and pixels; Athalye, Engstrom, Ilyas and Kwok
 * ("Synthesizing robust adversarial examples", ICML 2018) sample rotation, scale and translation
 * for EOT. Each output pixel p (x to the right, y down, c the image's centre) is read from
 * <pre>
 *   q = c + (1/s) · R(-θ) · (p - c - t),   t = (τ_x · W, τ_y · H)
 *   s(x)(p) = bilinear(x, clamp(q))          (grid sampling, align_corners, border padding)
 * </pre>
 * so the content turns by θ degrees (clockwise on the screen), grows by s and moves by t; θ, s,
 * τ_x and τ_y are drawn per image. Coordinates outside the image are clamped to its edge (the
 * border of a photograph continues the image, it is not black). The output is a convex
 * combination of input pixels, so it stays in the box (clipped against rounding); it is linear in x, so differentiable (the
 * gradient flows back to the four pixels each output pixel was read from).
 *
 * @param rotation θ in degrees, within [-180, 180]
 * @param scale s, within [0.1, 10]
 * @param shift τ for each axis, as a fraction of the image's size, within [-1, 1]
 */
public record Affine(Range rotation, Range scale, Range shift) implements Stage {

    public Affine {
        Objects.requireNonNull(rotation, "rotation").within("affine", "rotation", -180f, 180f);
        Objects.requireNonNull(scale, "scale").within("affine", "scale", 0.1f, 10f);
        Objects.requireNonNull(shift, "shift").within("affine", "shift", -1f, 1f);
    }

    @Override
    public String name() {
        return "affine";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("rotation", rotation.setting());
        settings.put("scale", scale.setting());
        settings.put("shift", shift.setting());
        return settings;
    }

    @Override
    public NDArray apply(NDArray x, Bounds bounds, SplittableRandom random) {
        int images = Math.toIntExact(x.getShape().get(0));
        int channels = Math.toIntExact(x.getShape().get(1));
        int height = Math.toIntExact(x.getShape().get(2));
        int width = Math.toIntExact(x.getShape().get(3));
        int pixels = height * width;
        long[][] sources = new long[4][images * pixels];
        float[][] weights = new float[4][images * pixels];
        for (int image = 0; image < images; image++) {
            double theta = Math.toRadians(rotation.draw(random));
            double zoom = scale.draw(random);
            double tx = shift.draw(random) * width;
            double ty = shift.draw(random) * height;
            double cos = Math.cos(theta) / zoom;
            double sin = Math.sin(theta) / zoom;
            double cx = (width - 1) / 2.0;
            double cy = (height - 1) / 2.0;
            for (int i = 0; i < height; i++) {
                for (int j = 0; j < width; j++) {
                    double u = j - cx - tx;
                    double v = i - cy - ty;
                    double qx = clamp(cx + cos * u + sin * v, width - 1);
                    double qy = clamp(cy - sin * u + cos * v, height - 1);
                    int x0 = (int) Math.floor(qx);
                    int y0 = (int) Math.floor(qy);
                    int x1 = Math.min(x0 + 1, width - 1);
                    int y1 = Math.min(y0 + 1, height - 1);
                    float fx = (float) (qx - x0);
                    float fy = (float) (qy - y0);
                    int k = image * pixels + i * width + j;
                    set(sources, weights, 0, k, y0 * width + x0, (1 - fy) * (1 - fx));
                    set(sources, weights, 1, k, y0 * width + x1, (1 - fy) * fx);
                    set(sources, weights, 2, k, y1 * width + x0, fy * (1 - fx));
                    set(sources, weights, 3, k, y1 * width + x1, fy * fx);
                }
            }
        }
        NDManager manager = x.getManager();
        Shape flat = new Shape(images, channels, pixels);
        NDArray planes = x.reshape(flat);
        NDArray out = null;
        for (int corner = 0; corner < 4; corner++) {
            NDArray index = manager.create(sources[corner], new Shape(images, 1, pixels))
                    .broadcast(flat);
            NDArray weight = manager.create(weights[corner], new Shape(images, 1, pixels))
                    .toType(x.getDataType(), false);
            NDArray term = planes.gather(index, 2).mul(weight);
            out = out == null ? term : out.add(term);
        }
        return bounds.clip(out.reshape(x.getShape()));
    }

    private static void set(long[][] sources, float[][] weights, int corner, int k, int source,
            float weight) {
        sources[corner][k] = source;
        weights[corner][k] = weight;
    }

    private static double clamp(double value, int max) {
        return Math.max(0, Math.min(max, value));
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public boolean randomized() {
        return !rotation.fixed() || !scale.fixed() || !shift.fixed();
    }
}
