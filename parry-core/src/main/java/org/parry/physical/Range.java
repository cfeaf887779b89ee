package org.parry.physical;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;

/**
 * A closed interval [from, to] that a transform draws one of its parameters from, uniformly; a
 * point (from = to) for a fixed transform. Written {@code 0.1} or {@code -0.1..0.1} in a stage
 * spec, e.g. {@code brightness:delta=-0.1..0.1}.
 *
 * @param from the smallest value
 * @param to the largest value, at least {@code from}
 */
public record Range(float from, float to) {

    public Range {
        if (!Float.isFinite(from) || !Float.isFinite(to) || from > to) {
            throw new IllegalArgumentException("a range needs finite from <= to, got " + from
                    + ".." + to);
        }
    }

    /** The single value {@code value}: a fixed parameter. */
    public static Range of(float value) {
        return new Range(value, value);
    }

    /** The symmetric interval [center - spread, center + spread]. */
    public static Range around(float center, float spread) {
        return new Range(center - spread, center + spread);
    }

    /**
     * Parses {@code 0.1} or {@code -0.1..0.1}.
     *
     * @param setting the setting's name, for the error message
     */
    public static Range parse(String setting, String text) {
        int dots = text.indexOf("..");
        try {
            if (dots < 0) {
                return of(Float.parseFloat(text.trim()));
            }
            return new Range(Float.parseFloat(text.substring(0, dots).trim()),
                    Float.parseFloat(text.substring(dots + 2).trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting " + setting + "=" + text + " is neither a"
                    + " number nor a range FROM..TO, e.g. " + setting + "=0.1 or " + setting
                    + "=-0.1..0.1");
        }
    }

    /** Whether the range is one value. */
    public boolean fixed() {
        return from == to;
    }

    /** Requires the whole range to lie in [min, max], naming the transform and the setting. */
    Range within(String transform, String setting, float min, float max) {
        if (from < min || to > max) {
            throw new IllegalArgumentException(transform + ": " + setting + " must lie in [" + min
                    + ", " + max + "], got " + this);
        }
        return this;
    }

    /** One draw, uniform in the range (the value itself when fixed). */
    public float draw(SplittableRandom random) {
        return fixed() ? from : (float) (from + (to - from) * random.nextDouble());
    }

    /** {@code count} draws in order. */
    float[] draw(SplittableRandom random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = draw(random);
        }
        return values;
    }

    /** One draw per image as an [N, 1, 1, 1] array that broadcasts over an image batch. */
    NDArray perImage(NDManager manager, SplittableRandom random, int images) {
        return manager.create(draw(random, images), new Shape(images, 1, 1, 1));
    }

    /** The value for settings: a number when fixed, else the text {@code from..to}. */
    Object setting() {
        return fixed() ? (Object) from : toString();
    }

    @Override
    public String toString() {
        return fixed() ? Float.toString(from) : from + ".." + to;
    }
}
