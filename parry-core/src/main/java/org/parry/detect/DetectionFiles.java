package org.parry.detect;

import java.io.IOException;
import java.nio.file.Path;
import org.parry.io.AtomicFiles;
import org.parry.model.SavedModel;

/** The files of a detection evaluation: {@value #JSON}, the summary as JSON. */
public final class DetectionFiles {

    /** The summary's file name. */
    public static final String JSON = "detection.json";

    private DetectionFiles() {}

    /** Writes {@value #JSON} into {@code directory}, atomically. */
    public static void write(Path directory, DetectionSummary summary) throws IOException {
        AtomicFiles.write(directory.resolve(JSON),
                out -> SavedModel.json().writeValue(out, summary));
    }

    /** Reads a summary {@link #write} wrote. */
    public static DetectionSummary read(Path directory) throws IOException {
        return SavedModel.json().readValue(directory.resolve(JSON).toFile(),
                DetectionSummary.class);
    }
}
