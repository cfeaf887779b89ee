package org.parry.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.parry.data.ImageDataset;

/** Validates what a user hands to a classifier, with messages that say what to change. */
public final class InputCheck {

    private InputCheck() {}

    /**
     * Checks that {@code x} is a float batch [N, C, H, W] matching the model's input shape.
     *
     * @throws IllegalArgumentException naming the expected and the actual shape
     */
    public static void requireBatch(Classifier model, NDArray x) {
        Shape expected = model.inputShape();
        Shape actual = x.getShape();
        if (actual.dimension() != expected.dimension() + 1
                || !actual.slice(1).equals(expected)) {
            throw new IllegalArgumentException(
                    "model '" + model.name() + "' expects inputs of shape (N, "
                            + join(expected) + ") but got " + actual
                            + "; resize the images or choose a data set that matches the model");
        }
        if (x.getDataType() != DataType.FLOAT32 && x.getDataType() != DataType.FLOAT64) {
            throw new IllegalArgumentException(
                    "model '" + model.name() + "' expects float pixels in [0, 1] but got "
                            + x.getDataType() + "; divide 8-bit images by 255");
        }
    }

    /** Checks that labels are a vector of length N with values in [0, K). */
    public static void requireLabels(Classifier model, NDArray x, NDArray labels) {
        long n = x.getShape().get(0);
        if (labels.getShape().dimension() != 1 || labels.getShape().get(0) != n) {
            throw new IllegalArgumentException(
                    "labels must have shape (" + n + ") to match the batch, got " + labels.getShape());
        }
    }

    /**
     * Checks, before any work, that a model can be scored on a data set: its images have the
     * model's input shape and every class of the data is one the model predicts.
     *
     * @throws IllegalArgumentException naming the data set, the model and both shapes or class
     *     counts
     */
    public static void requireCompatible(Classifier model, ImageDataset data) {
        if (!data.imageShape().equals(model.inputShape())) {
            throw new IllegalArgumentException("data set '" + data.name() + "' has images of shape ("
                    + join(data.imageShape()) + ") but model '" + model.name() + "' expects ("
                    + join(model.inputShape()) + "); use the data set the model was trained for");
        }
        if (data.numClasses() > model.numClasses()) {
            int maxLabel = java.util.Arrays.stream(data.labels()).max().orElse(0);
            throw new IllegalArgumentException("data set '" + data.name() + "' has "
                    + data.numClasses() + " classes (labels up to " + maxLabel + ") but model '"
                    + model.name() + "' has " + model.numClasses() + " classes (0 to "
                    + (model.numClasses() - 1) + "); use the data set the model was trained for");
        }
    }

    /**
     * Checks that a model's logits are all finite, at the cost of one reduction on the batch (the
     * rows are counted only when the sum is not finite). An argmax over NaN logits is a prediction
     * nonetheless, so without this check a broken model gets an accuracy instead of an error.
     *
     * @param logits [N, K] logits the model returned, without gradient bookkeeping
     * @throws IllegalStateException naming the model and how many of the N rows are not finite
     */
    /**
     * Whether every value of {@code logits} is finite: one reduction, and a second look only when
     * the sum is not finite (finite values whose sum overflows).
     */
    public static boolean finite(NDArray logits) {
        try (NDManager scope = logits.getManager().newSubManager()) {
            scope.tempAttachAll(logits);
            return Double.isFinite(logits.sum().toType(DataType.FLOAT64, false).getDouble())
                    || !logits.isNaN().logicalOr(logits.isInfinite()).any().getBoolean();
        }
    }

    public static void requireFiniteLogits(Classifier model, NDArray logits) {
        if (finite(logits)) {
            return;
        }
        long rows = 0;
        try (NDManager scope = logits.getManager().newSubManager()) {
            scope.tempAttachAll(logits);
            float[] badPerRow = logits.isNaN().logicalOr(logits.isInfinite())
                    .toType(DataType.FLOAT32, false).sum(new int[] {1}).toFloatArray();
            for (float bad : badPerRow) {
                rows += bad > 0 ? 1 : 0;
            }
        }
        throw new IllegalStateException("model '" + model.name() + "' returned non-finite logits"
                + " (NaN or infinity) for " + rows + " of " + logits.getShape().get(0)
                + " inputs in a batch; its predictions would be meaningless: check the model for"
                + " a division by zero, a log of a non-positive number or overflowing weights,"
                + " and export it again");
    }

    private static String join(Shape shape) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < shape.dimension(); i++) {
            text.append(i == 0 ? "" : ", ").append(shape.get(i));
        }
        return text.toString();
    }
}
