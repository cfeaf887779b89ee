package org.parry.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

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

    private static String join(Shape shape) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < shape.dimension(); i++) {
            text.append(i == 0 ? "" : ", ").append(shape.get(i));
        }
        return text.toString();
    }
}
