package org.parry.report;

import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import org.parry.io.AtomicFiles;

/**
 * A PNG of one perturbation on its own (a universal perturbation, say), amplified to the full
 * colour range and enlarged as the report's gallery tiles are ({@link Tiles#perturbation}): for grey
 * images white = 0, red = positive, blue = negative, full colour at max|v|; for colour images
 * 0.5 + v / (2 max|v|) per channel.
 */
public final class PerturbationPicture {

    private PerturbationPicture() {}

    /**
     * Writes {@code values} (C×H×W, CHW order) to {@code png}, atomically.
     *
     * @param shape (C, H, W)
     */
    public static void write(Path png, float[] values, Shape shape) throws IOException {
        Tiles tiles = new Tiles(Math.toIntExact(shape.get(0)), Math.toIntExact(shape.get(1)),
                Math.toIntExact(shape.get(2)));
        byte[] bytes = tiles.perturbation(new float[values.length], values);
        AtomicFiles.write(png, out -> out.write(bytes));
    }
}
