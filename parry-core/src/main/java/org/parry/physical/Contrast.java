package org.parry.physical;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.parry.model.Bounds;
import org.parry.model.Stage;

/**
 * A change of contrast, one of the artificial transformations of Kurakin, Goodfellow and Bengio
 * ("Adversarial examples in the physical world", ICLR workshop 2017, section 4.2): every pixel is
 * scaled by the same factor μ, then clipped,
 * <pre>
 *   s(x) = clip(lower + μ · (x - lower), box),   μ ~ U[factor.from, factor.to] per image
 * </pre>
 * (x · μ on [0, 1]). It emulates the dynamic range of a print and of the camera's response. The
 * paper's table uses μ = 0.7 and 1.3 (as remembered, not re-verified). Differentiable: the gradient
 * is μ inside the box, 0 where it clips.
 *
 * @param factor μ, within [0, 10]; a point for the fixed transform
 */
public record Contrast(Range factor) implements Stage {

    public Contrast {
        Objects.requireNonNull(factor, "factor").within("contrast", "factor", 0f, 10f);
    }

    /** The fixed scaling by {@code factor}. */
    public static Contrast of(float factor) {
        return new Contrast(Range.of(factor));
    }

    @Override
    public String name() {
        return "contrast";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("factor", factor.setting());
        return settings;
    }

    @Override
    public NDArray apply(NDArray x, Bounds bounds, SplittableRandom random) {
        int images = Math.toIntExact(x.getShape().get(0));
        NDArray scale = factor.perImage(x.getManager(), random, images)
                .toType(x.getDataType(), false);
        return bounds.clip(x.sub(bounds.lower()).mul(scale).add(bounds.lower()));
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public boolean randomized() {
        return !factor.fixed();
    }
}
