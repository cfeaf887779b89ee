package org.parry.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Atomic writes: the old file survives a failed write, and no temporary file is left behind. */
class AtomicFilesTest {

    @Test
    void writesAndReplaces(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("sub").resolve("report.json");
        AtomicFiles.writeString(file, "first");
        AtomicFiles.write(file, out -> {
            out.write("second".getBytes(StandardCharsets.UTF_8));
            out.close(); // writers such as Jackson close their stream; the commit still happens
        });
        assertThat(Files.readString(file)).isEqualTo("second");
        assertThat(names(file.getParent())).containsExactly("report.json");
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporaryFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("report.json");
        AtomicFiles.writeString(file, "{\"old\": true}");
        IOException error = assertThrows(IOException.class, () -> AtomicFiles.write(file, out -> {
            out.write("{\"new\": ".getBytes(StandardCharsets.UTF_8));
            throw new IOException("No space left on device"); // what a full disk says
        }));
        assertThat(error.getMessage()).isEqualTo(file + ": cannot write it (No space left on device)");
        assertThat(Files.readString(file)).isEqualTo("{\"old\": true}");
        assertThat(names(dir)).containsExactly("report.json");
    }

    @Test
    void aStreamNotCommittedIsDiscarded(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("adversarial.npz");
        AtomicFiles.writeString(file, "old");
        try (AtomicFiles.Output out = AtomicFiles.open(file)) {
            out.write(new byte[] {1, 2, 3});
        }
        assertThat(Files.readString(file)).isEqualTo("old");
        assertThat(names(dir)).containsExactly("adversarial.npz");
    }

    @Test
    void aDirectoryInTheWayIsNamed(@TempDir Path dir) throws IOException {
        Path blocker = dir.resolve("taken");
        Files.writeString(blocker, "a file, not a directory");
        IOException error = assertThrows(IOException.class,
                () -> AtomicFiles.writeString(blocker.resolve("report.json"), "x"));
        assertThat(error.getMessage()).startsWith(blocker.resolve("report.json") + ": cannot write it");
    }

    @Test
    void npzWriterKeepsTheOldArchiveWhenAWriteFails(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("adversarial.npz");
        try (NpzWriter npz = NpzWriter.create(file)) {
            npz.writeInt32("y", new int[] {1, 2}, 2);
        }
        byte[] old = Files.readAllBytes(file);
        assertThrows(IllegalArgumentException.class, () -> {
            try (NpzWriter npz = NpzWriter.create(file)) {
                npz.writeInt32("y", new int[] {3, 4}, 2);
                npz.writeInt32("x", new int[] {1, 2, 3}, 2); // shape disagrees: refused
            }
        });
        // A refused array writes nothing, so the archive with "y" is complete and committed.
        assertThat(Files.readAllBytes(file)).isNotEqualTo(old);
        assertThat(names(dir)).containsExactly("adversarial.npz");
    }

    private static java.util.List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
