package org.parry.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.parry.model.SavedModel;

/** Writes a command's machine-readable results ({@code --json FILE}). */
final class JsonFile {

    private JsonFile() {}

    static void write(Path file, Object results) throws IOException {
        if (file == null) {
            return;
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        SavedModel.json().writeValue(file.toFile(), results);
    }
}
