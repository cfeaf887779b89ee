package org.parry.physical;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.parry.attack.Require;
import org.parry.defense.purify.GaussianNoise;
import org.parry.model.Bounds;
import org.parry.model.Stage;

/**
 * The photo emulation: a chain of random transforms that stands for printing an image and
 * photographing it (Kurakin, Goodfellow and Bengio, "Adversarial examples in the physical world",
 * ICLR workshop 2017), the distribution T that expectation over transformation averages over
 * (Athalye, Engstrom, Ilyas and Kwok, "Synthesizing robust adversarial examples", ICML 2018):
 * <pre>
 *   photo(x) = noise(brightness(contrast(blur(affine(colour(x))))))
 * </pre>
 * in the order light takes: the printer's {@link ColourShift}, the camera's pose ({@link Affine}),
 * its optics ({@link GaussianBlur}), exposure ({@link Contrast}, {@link Brightness}) and the
 * sensor's {@link GaussianNoise}; each part draws its own parameters per image from its own
 * stream. The phone's JPEG is left out: it has no gradient, so a chain holding it would give
 * autograd's zero; put {@code jpeg} after {@code photo} as a stage of its own, which BPDA passes.
 * The default magnitudes ({@link #standard()}) are Parry's choice, not the paper's (which
 * photographed real prints): small changes that leave a clean image recognizable, ±5°, ±5% scale,
 * ±3% shift, blur σ ≤ 1 pixel, contrast ±10%, brightness ±0.05, colour gain ±5% and offset ±0.03
 * per channel, noise σ = 0.02 (the trained test CNN keeps 100% accuracy on photos of its clean
 * test images).
 *
 * @param parts the transforms in order, each differentiable and of its own name
 */
public record Photo(List<Stage> parts) implements Stage {

    public Photo {
        parts = List.copyOf(parts);
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("photo: the chain needs at least one transform");
        }
        Set<String> names = new HashSet<>();
        for (Stage part : parts) {
            if (!names.add(part.name())) {
                throw new IllegalArgumentException("photo: '" + part.name() + "' appears twice;"
                        + " give each transform once, with a range");
            }
            if (!part.differentiable()) {
                throw new IllegalArgumentException("photo: '" + part.name() + "' is not"
                        + " differentiable; put it after photo as a stage of its own, which BPDA"
                        + " passes");
            }
        }
    }

    /** The chain with the default magnitudes. */
    public static Photo standard() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "photo";
    }

    /** Each part's name and settings, in order. */
    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        for (Stage part : parts) {
            settings.put(part.name(), part.settings());
        }
        return settings;
    }

    @Override
    public NDArray apply(NDArray x, Bounds bounds, SplittableRandom random) {
        NDArray h = x;
        for (Stage part : parts) {
            h = part.apply(h, bounds, random.split());
        }
        return h;
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public boolean randomized() {
        return parts.stream().anyMatch(Stage::randomized);
    }

    /**
     * The magnitudes of the standard chain; each part is drawn symmetrically around the identity,
     * and a magnitude of 0 leaves its part out.
     */
    public static final class Builder {

        private float rotation = 5f;
        private float scale = 0.05f;
        private float shift = 0.03f;
        private float blur = 1f;
        private float contrast = 0.1f;
        private float brightness = 0.05f;
        private float colour = 0.05f;
        private float colourOffset = 0.03f;
        private float noise = 0.02f;

        private Builder() {}

        /** Largest rotation in degrees (default 5). */
        public Builder optRotation(float degrees) {
            rotation = check("rotation", degrees);
            return this;
        }

        /** Largest relative change of scale (default 0.05: 0.95 to 1.05). */
        public Builder optScale(float value) {
            scale = check("scale", value);
            return this;
        }

        /** Largest shift per axis as a fraction of the size (default 0.03). */
        public Builder optShift(float value) {
            shift = check("shift", value);
            return this;
        }

        /** Largest blur σ in pixels, drawn from [0, blur] (default 1). */
        public Builder optBlur(float sigma) {
            blur = check("blur", sigma);
            return this;
        }

        /** Largest relative change of contrast (default 0.1). */
        public Builder optContrast(float value) {
            contrast = check("contrast", value);
            return this;
        }

        /** Largest change of brightness, a fraction of the box (default 0.05). */
        public Builder optBrightness(float value) {
            brightness = check("brightness", value);
            return this;
        }

        /** Largest relative change of each channel's gain (default 0.05). */
        public Builder optColour(float value) {
            colour = check("colour", value);
            return this;
        }

        /** Largest offset of each channel, a fraction of the box (default 0.03). */
        public Builder optColourOffset(float value) {
            colourOffset = check("colourOffset", value);
            return this;
        }

        /** The sensor noise's σ, a fraction of the box (default 0.02). */
        public Builder optNoise(float sigma) {
            noise = check("noise", sigma);
            return this;
        }

        private static float check(String name, float value) {
            Require.nonNegative("photo: " + name, value);
            return value;
        }

        public Photo build() {
            List<Stage> parts = new ArrayList<>();
            if (colour > 0 || colourOffset > 0) {
                parts.add(new ColourShift(Range.around(1f, colour), Range.around(0f, colourOffset)));
            }
            if (rotation > 0 || scale > 0 || shift > 0) {
                parts.add(new Affine(Range.around(0f, rotation), Range.around(1f, scale),
                        Range.around(0f, shift)));
            }
            if (blur > 0) {
                parts.add(new GaussianBlur(new Range(0f, blur)));
            }
            if (contrast > 0) {
                parts.add(new Contrast(Range.around(1f, contrast)));
            }
            if (brightness > 0) {
                parts.add(new Brightness(Range.around(0f, brightness)));
            }
            if (noise > 0) {
                parts.add(new GaussianNoise(noise));
            }
            return new Photo(parts);
        }
    }
}
