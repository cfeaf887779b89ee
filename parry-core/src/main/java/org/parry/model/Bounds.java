package org.parry.model;

import ai.djl.ndarray.NDArray;

/**
 * The box that valid inputs live in. Parry's convention is pixel space [0, 1]; normalization is a
 * layer inside the model, so that an epsilon means what the papers mean.
 *
 * @param lower smallest valid pixel value
 * @param upper largest valid pixel value
 */
public record Bounds(float lower, float upper) {

    /** The pixel box [0, 1] every Parry model uses. */
    public static final Bounds UNIT = new Bounds(0f, 1f);

    public Bounds {
        if (!(lower < upper)) {
            throw new IllegalArgumentException(
                    "bounds need lower < upper, got [" + lower + ", " + upper + "]");
        }
    }

    /** The width of the box, {@code upper - lower}. */
    public float range() {
        return upper - lower;
    }

    /** {@code x} clipped into the box, element-wise: the one place attacks and defenses clip. */
    public NDArray clip(NDArray x) {
        return x.clip(lower, upper);
    }

    /** One value clipped into the box, for search state held in Java arrays. */
    public float clip(float value) {
        return Math.min(Math.max(value, lower), upper);
    }
}
