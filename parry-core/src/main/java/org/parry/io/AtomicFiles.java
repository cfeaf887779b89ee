package org.parry.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one way Parry writes a file: into a temporary file in the target's own directory, flushed
 * to disk, then moved over the target in one atomic step. A reader (or a later run) sees the old
 * file or the new one, never a torn mix; a failed write (a full disk, a killed process, an error
 * in the caller's code) leaves the old file intact and removes the temporary file. Every
 * {@link IOException} names the target file and says why, e.g.
 * {@code /runs/report/report.json: cannot write it (No space left on device)}.
 *
 * <pre>{@code
 * AtomicFiles.write(dir.resolve("report.json"), out -> mapper.writeValue(out, report));
 *
 * try (AtomicFiles.Output out = AtomicFiles.open(file)) {   // streaming writers
 *     ... write to out ...
 *     out.commit();                                          // without it, close() discards
 * }
 * }</pre>
 */
public final class AtomicFiles {

    /** What goes into a file; it may close {@code out} or leave it open. */
    @FunctionalInterface
    public interface Content {
        /** Writes the file's bytes to {@code out}. */
        void writeTo(OutputStream out) throws IOException;
    }

    /** Marks the names of temporary files, which live beside their target until moved. */
    public static final String TEMPORARY_SUFFIX = ".tmp";

    private static final int BUFFER = 1 << 16;
    private static final String CANNOT_WRITE = ": cannot write it";

    private AtomicFiles() {}

    /**
     * Writes {@code target} atomically, creating its parent directories.
     *
     * @throws IOException naming {@code target}, the old content left in place
     */
    public static void write(Path target, Content content) throws IOException {
        try (Output out = open(target)) {
            content.writeTo(new FilterOutputStream(out) {
                @Override
                public void write(byte[] bytes, int offset, int length) throws IOException {
                    out.write(bytes, offset, length);
                }

                @Override
                public void close() throws IOException {
                    flush(); // the content may close its stream; committing is ours to do
                }
            });
            out.commit();
        } catch (IOException e) {
            throw named(target, e);
        }
    }

    /** Writes {@code text} as UTF-8 to {@code target} atomically. */
    public static void writeString(Path target, String text) throws IOException {
        write(target, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Opens a temporary file beside {@code target} for a writer that streams. Call
     * {@link Output#commit()} when the content is complete; {@link Output#close()} without a
     * commit discards it and leaves {@code target} as it was.
     */
    public static Output open(Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path parent = absolute.getParent();
        try {
            Files.createDirectories(parent);
            Path temporary = parent.resolve(absolute.getFileName() + "."
                    + ProcessHandle.current().pid() + "."
                    + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE)
                    + TEMPORARY_SUFFIX);
            FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE);
            return new Output(target, absolute, temporary, channel);
        } catch (IOException e) {
            throw named(target, e);
        }
    }

    /**
     * The temporary file behind a streaming write. Not thread-safe.
     */
    public static final class Output extends OutputStream {

        private final Path target;
        private final Path absolute;
        private final Path temporary;
        private final FileChannel channel;
        private final OutputStream buffered;
        private boolean done;

        private Output(Path target, Path absolute, Path temporary, FileChannel channel) {
            this.target = target;
            this.absolute = absolute;
            this.temporary = temporary;
            this.channel = channel;
            this.buffered = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER);
        }

        /** The file this output replaces when committed. */
        public Path target() {
            return target;
        }

        @Override
        public void write(int b) throws IOException {
            check();
            buffered.write(b);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            check();
            buffered.write(bytes, offset, length);
        }

        @Override
        public void flush() throws IOException {
            check();
            buffered.flush();
        }

        /** Flushes the content to disk and moves it over the target in one step. */
        public void commit() throws IOException {
            check();
            try {
                buffered.flush();
                channel.force(true);
                channel.close();
                move(temporary, absolute);
                done = true;
            } catch (IOException e) {
                discard();
                throw named(target, e);
            }
        }

        /** Discards the temporary file unless {@link #commit()} succeeded. */
        @Override
        public void close() throws IOException {
            if (!done) {
                discard();
            }
        }

        private void discard() {
            done = true;
            try {
                channel.close();
            } catch (IOException ignored) {
                // the file is deleted next; a failed close leaves nothing to keep
            }
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException ignored) {
                // nothing more can be done; the target itself is untouched
            }
        }

        private void check() throws IOException {
            if (done) {
                throw new IOException(target + ": the write is already committed or discarded");
            }
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The exception with a message that starts with the target and says why it failed. */
    static IOException named(Path target, IOException e) {
        String message = e.getMessage();
        if (message != null && message.startsWith(target + CANNOT_WRITE)) {
            return e;
        }
        String reason = e instanceof FileSystemException fs && fs.getReason() != null
                ? fs.getReason() : message != null ? message : e.getClass().getSimpleName();
        return new IOException(target + CANNOT_WRITE + " (" + reason + ")", e);
    }
}
