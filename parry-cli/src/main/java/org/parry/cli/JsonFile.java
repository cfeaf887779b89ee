package org.parry.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.parry.io.AtomicFiles;
import org.parry.model.SavedModel;

/** Writes a command's machine-readable results ({@code --json FILE}). */
final class JsonFile {

    private JsonFile() {}

    static void write(Path file, Object results) throws IOException {
        if (file == null) {
            return;
        }
        AtomicFiles.write(file, out -> SavedModel.json().writeValue(out, results));
    }
}
