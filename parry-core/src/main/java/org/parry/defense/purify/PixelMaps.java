package org.parry.defense.purify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.parry.model.Bounds;

/**
 * Moves pixels by index as two matrix products, out = R · x · Cᵀ per image and channel, where row
 * i of R (and of C) is one-hot at the source row (column) of output row i, or all zero for a pixel
 * outside the image, which then takes the box's lower bound. Shifts with reflection, nearest-
 * neighbour resizing and padding are all such maps; as products they are differentiable, the
 * gradient flowing back to the pixels each output pixel was taken from.
 */
final class PixelMaps {

    /** Marks an output pixel with no source: it takes the lower bound. */
    static final int OUTSIDE = -1;

    private PixelMaps() {}

    /**
     * @param x [N, C, H, W]
     * @param rows per output row, its source row in [0, H) or {@link #OUTSIDE}
     * @param columns per output column, its source column in [0, W) or {@link #OUTSIDE}
     * @return [N, C, rows.length, columns.length]
     */
    static NDArray select(NDArray x, Bounds bounds, int[] rows, int[] columns) {
        NDManager manager = x.getManager();
        long height = x.getShape().get(2);
        long width = x.getShape().get(3);
        NDArray r = manager.create(oneHot(rows, height), new Shape(rows.length, height));
        NDArray c = manager.create(oneHot(columns, width), new Shape(columns.length, width));
        NDArray shifted = x.sub(bounds.lower());
        return r.matMul(shifted).matMul(c.transpose()).add(bounds.lower());
    }

    /**
     * The source of output index i for a shift by {@code offset} with reflection at the edges, as
     * scipy.ndimage's mode "reflect" (d c b a | a b c d | d c b a).
     */
    static int[] shiftReflect(int size, int offset) {
        int[] source = new int[size];
        for (int i = 0; i < size; i++) {
            int j = i + offset;
            while (j < 0 || j >= size) {
                j = j < 0 ? -j - 1 : 2 * size - j - 1;
            }
            source[i] = j;
        }
        return source;
    }

    private static float[] oneHot(int[] sources, long size) {
        float[] matrix = new float[Math.toIntExact(sources.length * size)];
        for (int i = 0; i < sources.length; i++) {
            if (sources[i] != OUTSIDE) {
                matrix[Math.toIntExact(i * size + sources[i])] = 1f;
            }
        }
        return matrix;
    }
}
