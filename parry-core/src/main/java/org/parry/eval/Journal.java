package org.parry.eval;

import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.parry.attack.AttackResult;
import org.parry.io.AtomicFiles;
import org.parry.model.SavedModel;

/**
 * An evaluation's write-ahead log: one JSON line per finished unit of work (ε, attack, batch) with
 * everything the worst-case bookkeeping needs, flushed to disk before the next unit starts. A run
 * that crashes or is killed resumes by replaying the log and skipping the units it holds; units
 * are seeded by their position, so the resumed run ends with the same numbers. A torn last line
 * (killed mid-write) is cut off on resume and its unit redone. The first line fingerprints the configuration, and a journal of
 * another configuration is refused.
 */
final class Journal implements AutoCloseable {

    static final String FILE = "journal.jsonl";

    /** One finished unit; {@code adversarial} holds only the rows of successful samples. */
    record Entry(int epsilon, int attack, int batch, long[] indices, boolean[] success,
            int[] predictions, float[] l2, float[] linf, String adversarial, long gradients,
            long queries, double seconds) {

        static Entry of(int epsilon, int attack, int batch, long[] indices, AttackResult result) {
            int pixels = result.adversarial().length / Math.max(result.size(), 1);
            ByteBuffer bytes = ByteBuffer.allocate(4 * pixels * result.successes())
                    .order(ByteOrder.LITTLE_ENDIAN);
            for (int row = 0; row < result.size(); row++) {
                if (result.success()[row]) {
                    for (int j = 0; j < pixels; j++) {
                        bytes.putFloat(result.adversarial()[row * pixels + j]);
                    }
                }
            }
            return new Entry(epsilon, attack, batch, indices, result.success(),
                    result.predictions(), result.l2(), result.linf(),
                    Base64.getEncoder().encodeToString(bytes.array()), result.gradients(),
                    result.queries(), result.seconds());
        }

        /** The result as the bookkeeping sees it (rows of failed samples are zeros). */
        AttackResult toResult(Shape imageShape) {
            int pixels = Math.toIntExact(imageShape.size());
            float[] rows = new float[success.length * pixels];
            ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(adversarial))
                    .order(ByteOrder.LITTLE_ENDIAN);
            for (int row = 0; row < success.length; row++) {
                if (success[row]) {
                    for (int j = 0; j < pixels; j++) {
                        rows[row * pixels + j] = bytes.getFloat();
                    }
                }
            }
            return new AttackResult(rows, new Shape(success.length).addAll(imageShape), success,
                    predictions, new float[success.length], l2, linf, gradients, queries, seconds, null);
        }
    }

    private final Path file;
    private final Map<List<Integer>, Entry> entries = new HashMap<>();
    private final BufferedWriter writer;

    private Journal(Path file, BufferedWriter writer) {
        this.file = file;
        this.writer = writer;
    }

    /**
     * Opens the journal in {@code directory}: replays it when resuming, otherwise starts it anew.
     *
     * @param fingerprint the configuration the entries belong to
     */
    static Journal open(Path directory, String fingerprint, boolean resume) throws IOException {
        Files.createDirectories(directory);
        Path file = directory.resolve(FILE);
        Journal journal;
        if (resume && Files.exists(file)) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty() || !fingerprint.equals(header(lines.get(0)))) {
                throw new IllegalArgumentException(file + " belongs to an evaluation with other"
                        + " settings (model, data, suite, norm, epsilons, n or seed); resume with the"
                        + " same settings, or start over without --resume");
            }
            Map<List<Integer>, Entry> replayed = new HashMap<>();
            int kept = 1;
            for (String line : lines.subList(1, lines.size())) {
                try {
                    Entry entry = SavedModel.json().readValue(line, Entry.class);
                    replayed.put(List.of(entry.epsilon(), entry.attack(), entry.batch()), entry);
                    kept++;
                } catch (com.fasterxml.jackson.core.JacksonException torn) {
                    break; // the process died while writing this line; redo that unit
                }
            }
            if (kept < lines.size() || !endsWithNewline(file)) {
                // Cut the torn line off, so that the next unit starts a line of its own and a
                // later resume reads past it.
                AtomicFiles.writeString(file, String.join("\n", lines.subList(0, kept)) + "\n");
            }
            journal = new Journal(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                    StandardOpenOption.APPEND));
            journal.entries.putAll(replayed);
        } else {
            journal = new Journal(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8));
            journal.writeLine(SavedModel.json().createObjectNode().put("fingerprint", fingerprint)
                    .toString());
        }
        return journal;
    }

    private static boolean endsWithNewline(Path file) throws IOException {
        try (java.nio.channels.SeekableByteChannel channel = Files.newByteChannel(file)) {
            if (channel.size() == 0) {
                return false;
            }
            ByteBuffer last = ByteBuffer.allocate(1);
            channel.position(channel.size() - 1).read(last);
            return last.get(0) == '\n';
        }
    }

    private static String header(String line) {
        try {
            JsonNode node = SavedModel.json().readTree(line);
            return node.path("fingerprint").asText(null);
        } catch (IOException e) {
            return null;
        }
    }

    /** The unit replayed from the journal on disk, or null. */
    Entry find(int epsilon, int attack, int batch) {
        return entries.get(List.of(epsilon, attack, batch));
    }

    /**
     * Appends a unit and flushes it to disk. It is not kept in memory: each unit is looked up once,
     * before it runs, so only replayed units are ever found (keeping the appended ones would hold
     * every adversarial example of the run twice, here and in the worst-case bookkeeping).
     */
    void append(Entry entry) throws IOException {
        writeLine(SavedModel.json().writer().without(
                com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                .writeValueAsString(entry));
    }

    private void writeLine(String line) throws IOException {
        writer.write(line);
        writer.newLine();
        writer.flush();
    }

    Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }
}
