package org.parry.physical;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.parry.model.Bounds;
import org.parry.model.Stage;

/**
 * A printer's colour shift: each channel gets its own gain and offset, then the result is clipped,
 * <pre>
 *   s(x)_c = clip(lower + g_c · (x_c - lower) + o_c · (upper - lower), box),
 *   g_c ~ U[gain.from, gain.to],  o_c ~ U[offset.from, offset.to]   per image and channel
 * </pre>
 * It emulates what Kurakin, Goodfellow and Bengio ("Adversarial examples in the physical world",
 * ICLR workshop 2017, section 3) met when printing: ink and paper do not reproduce the screen's
 * colours, and the camera's white balance shifts them again (Sharif et al., CCS 2016, and Athalye
 * et al., ICML 2018, model the same with per-channel affine colour maps). On a grayscale image it
 * is one gain and one offset, a joint change of contrast and brightness. With point ranges every
 * channel gets the same gain and offset; the colour shift proper needs ranges. Differentiable.
 *
 * @param gain g, within [0, 10]
 * @param offset o, as a fraction of the box's width, within [-1, 1]
 */
public record ColourShift(Range gain, Range offset) implements Stage {

    public ColourShift {
        Objects.requireNonNull(gain, "gain").within("colour", "gain", 0f, 10f);
        Objects.requireNonNull(offset, "offset").within("colour", "offset", -1f, 1f);
    }

    @Override
    public String name() {
        return "colour";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("gain", gain.setting());
        settings.put("offset", offset.setting());
        return settings;
    }

    @Override
    public NDArray apply(NDArray x, Bounds bounds, SplittableRandom random) {
        int images = Math.toIntExact(x.getShape().get(0));
        int channels = Math.toIntExact(x.getShape().get(1));
        float[] gains = new float[images * channels];
        float[] offsets = new float[images * channels];
        for (int k = 0; k < gains.length; k++) {
            gains[k] = gain.draw(random);
            offsets[k] = offset.draw(random) * bounds.range();
        }
        Shape perChannel = new Shape(images, channels, 1, 1);
        NDArray g = x.getManager().create(gains, perChannel).toType(x.getDataType(), false);
        NDArray o = x.getManager().create(offsets, perChannel).toType(x.getDataType(), false);
        return bounds.clip(x.sub(bounds.lower()).mul(g).add(o).add(bounds.lower()));
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public boolean randomized() {
        return !gain.fixed() || !offset.fixed();
    }
}
