package org.parry.physical;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.parry.model.Bounds;
import org.parry.model.Stage;

/**
 * A change of brightness, the first of the artificial transformations of Kurakin, Goodfellow and
 * Bengio ("Adversarial examples in the physical world", ICLR workshop 2017, section 4.2): every
 * pixel moves by the same δ, then is clipped,
 * <pre>
 *   s(x) = clip(x + δ · (upper - lower), box),   δ ~ U[delta.from, delta.to] per image
 * </pre>
 * It emulates the exposure of the photograph and the brightness of the print (paper and ink). δ is
 * a fraction of the box's width: the paper's ±30 of 255 grey levels (as remembered, not
 * re-verified) is about ±0.12. Differentiable: the gradient is 1 inside the box, 0 where it clips.
 *
 * @param delta δ, within [-1, 1]; a point for the fixed transform
 */
public record Brightness(Range delta) implements Stage {

    public Brightness {
        Objects.requireNonNull(delta, "delta").within("brightness", "delta", -1f, 1f);
    }

    /** The fixed change by {@code delta}. */
    public static Brightness of(float delta) {
        return new Brightness(Range.of(delta));
    }

    @Override
    public String name() {
        return "brightness";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("delta", delta.setting());
        return settings;
    }

    @Override
    public NDArray apply(NDArray x, Bounds bounds, SplittableRandom random) {
        int images = Math.toIntExact(x.getShape().get(0));
        NDArray shift = delta.perImage(x.getManager(), random, images).mul(bounds.range());
        return bounds.clip(x.add(shift.toType(x.getDataType(), false)));
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public boolean randomized() {
        return !delta.fixed();
    }
}
