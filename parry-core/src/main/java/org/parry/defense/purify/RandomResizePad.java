package org.parry.defense.purify;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.parry.model.Bounds;
import org.parry.model.Stage;

/**
 * Random resizing and padding (Xie, Wang, Zhang, Ren and Yuille, "Mitigating adversarial effects
 * through randomization", ICLR 2018): each forward pass resizes the batch to a random size and
 * pads it at a random offset. The paper enlarges 299-pixel images to r ∈ [299, 331) and pads to
 * 331, feeding the larger image to a network that accepts it; Parry's networks take a fixed size,
 * so this stage keeps the ratio and shrinks instead, then pads back:
 * <pre>
 *   r ~ U{⌈ρ·H⌉, ..., H},  r' = round(r · W / H),   u = nearest-resize(x, r × r'),
 *   top ~ U{0, ..., H - r},  left ~ U{0, ..., W - r'},   s(x) = pad(u, top, left) to H × W
 * </pre>
 * with ρ = 299/331 by default, nearest-neighbour resizing (as the paper's code) and padding at the
 * box's lower bound (zero). One draw serves the whole batch, as in the paper's code. Resizing and
 * padding move pixels by index, so the stage is differentiable; its randomness is what an attack
 * must average over (EOT; Athalye, Carlini and Wagner, ICML 2018, break it so).
 *
 * @param minScale ρ in (0, 1]: the smallest size as a fraction of the image's
 */
public record RandomResizePad(float minScale) implements Stage {

    /** The paper's ratio, 299 / 331. */
    public static final float PAPER_SCALE = 299f / 331f;

    public RandomResizePad {
        if (!(minScale > 0f && minScale <= 1f)) {
            throw new IllegalArgumentException("resize-pad: minScale must be in (0, 1], got "
                    + minScale);
        }
    }

    @Override
    public String name() {
        return "resize-pad";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("minScale", minScale);
        return settings;
    }

    @Override
    public NDArray apply(NDArray x, Bounds bounds, SplittableRandom random) {
        int height = Math.toIntExact(x.getShape().get(2));
        int width = Math.toIntExact(x.getShape().get(3));
        int smallest = Math.min(height, (int) Math.ceil(minScale * height));
        int rows = smallest + random.nextInt(height - smallest + 1);
        int columns = Math.max(1, Math.min(width, Math.round((float) rows * width / height)));
        int top = random.nextInt(height - rows + 1);
        int left = random.nextInt(width - columns + 1);
        return PixelMaps.select(x, bounds, placed(height, rows, top), placed(width, columns, left));
    }

    /**
     * Per output index, its source when an image of {@code size} pixels is resized to {@code
     * resized} by nearest neighbour (source ⌊k · size / resized⌋ for resized index k) and placed
     * at {@code offset}; {@link PixelMaps#OUTSIDE} in the padding.
     */
    private static int[] placed(int size, int resized, int offset) {
        int[] source = new int[size];
        for (int i = 0; i < size; i++) {
            int k = i - offset;
            source[i] = k < 0 || k >= resized ? PixelMaps.OUTSIDE
                    : (int) ((long) k * size / resized);
        }
        return source;
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public boolean randomized() {
        return true;
    }
}
