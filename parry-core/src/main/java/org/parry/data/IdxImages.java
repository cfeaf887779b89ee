package org.parry.data;

/**
 * The content of one IDX unsigned-byte image file (the format of MNIST, LeCun et al. 1998, and
 * Fashion-MNIST, Xiao et al. 2017, arXiv:1708.07747): {@code count} grey images of {@code rows} ×
 * {@code cols} pixels, row-major, one image after another.
 *
 * <p>{@code pixels} is the buffer the reader filled; it is handed over, not copied, so the holder
 * of this record owns it and should not share it mutably.
 *
 * @param count number of images
 * @param rows image height
 * @param cols image width
 * @param pixels count × rows × cols unsigned bytes
 */
public record IdxImages(int count, int rows, int cols, byte[] pixels) {

    public IdxImages {
        if (count <= 0 || rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException(
                    "count, rows and cols must be positive, got " + count + ", " + rows + ", " + cols);
        }
        if (pixels == null || pixels.length != (long) count * rows * cols) {
            throw new IllegalArgumentException(
                    "pixels: expected " + count + " × " + rows + " × " + cols + " bytes, got "
                            + (pixels == null ? "null" : pixels.length));
        }
    }
}
