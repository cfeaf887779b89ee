package org.parry.model;

import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;

/**
 * A model file loaded, but the model fails on inputs of the shape it was given: it was trained on
 * images of another (C, H, W). The message says so and names the shape; callers that chose the
 * shape themselves (a command-line option, say) can add how to change it.
 */
public class InputShapeException extends ModelLoadException {

    private static final long serialVersionUID = 1L;

    private final transient Shape inputShape;

    /**
     * @param path the model file
     * @param inputShape the (C, H, W) the model failed on
     * @param message what went wrong (should mention {@code path} and {@code inputShape})
     * @param cause the engine's exception
     */
    public InputShapeException(Path path, Shape inputShape, String message, Throwable cause) {
        super(path, message, cause);
        this.inputShape = inputShape;
    }

    /** The (C, H, W) the model failed on. */
    public Shape inputShape() {
        return inputShape;
    }
}
