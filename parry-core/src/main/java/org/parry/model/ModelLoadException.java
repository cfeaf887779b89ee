package org.parry.model;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A model file could not be turned into a working {@link Classifier}: it is missing, it is not a
 * model of the expected format, it rejects the input shape it was loaded with, or its output is not
 * logits. The message names the file and says what to change; the engine's own exception, if any,
 * is kept as the cause.
 */
public class ModelLoadException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path path;

    /**
     * @param path the model file
     * @param message what went wrong and how to fix it (should mention {@code path})
     */
    public ModelLoadException(Path path, String message) {
        super(message);
        this.path = path;
    }

    /**
     * @param path the model file
     * @param message what went wrong and how to fix it (should mention {@code path})
     * @param cause the engine's exception
     */
    public ModelLoadException(Path path, String message, Throwable cause) {
        super(message, cause);
        this.path = path;
    }

    /** The model file that failed to load. */
    public Path path() {
        return path;
    }
}
