package org.parry.data;

import ai.djl.ndarray.NDArray;

/**
 * A mini-batch: images {@code x} as float32 [N, C, H, W] in pixel space [0, 1], and labels
 * {@code y} as int32 [N]. Both arrays belong to the {@link ai.djl.ndarray.NDManager} that created
 * them.
 *
 * @param x images, float32 [N, C, H, W]
 * @param y labels, int32 [N]
 */
public record Batch(NDArray x, NDArray y) {

    public Batch {
        if (x == null || y == null) {
            throw new IllegalArgumentException("batch needs both x and y, got x=" + x + ", y=" + y);
        }
        if (x.getShape().dimension() != 4) {
            throw new IllegalArgumentException("x must be [N, C, H, W], got " + x.getShape());
        }
        if (y.getShape().dimension() != 1 || y.getShape().get(0) != x.getShape().get(0)) {
            throw new IllegalArgumentException(
                    "y must be [" + x.getShape().get(0) + "] to match x, got " + y.getShape());
        }
    }

    /** The number of examples N. */
    public int size() {
        return Math.toIntExact(x.getShape().get(0));
    }
}
