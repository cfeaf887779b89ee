package org.parry.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exclusive claim on an output directory for the length of a run, so that two runs writing
 * into the same directory (two evaluations into one report, two trainings into one model) cannot
 * interleave their journals, checkpoints and reports. The claim is an operating-system lock
 * ({@link FileChannel#tryLock()}) on {@value #FILE} inside the directory: the system releases it
 * when the process ends, even when it is killed, so a stale lock never blocks a later run. The
 * file holds the holder's process id and start time, which a refused run shows.
 *
 * <p>The lock file is left in place on release (emptied): deleting it would let a run that opened
 * the old file and a run that created a new one both believe they hold the lock.
 */
public final class DirectoryLock implements AutoCloseable {

    /** The lock file's name inside the locked directory. */
    public static final String FILE = ".parry.lock";

    /** Lock files held by this process, with their holder's description. */
    private static final Map<Path, String> HELD = new ConcurrentHashMap<>();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Creates {@code directory} if needed and claims it.
     *
     * @param option how the user named the directory, for the message (e.g. {@code "--report"})
     * @throws IllegalStateException naming the directory and the process holding it, when another
     *     run (in this process or another) holds it
     * @throws IOException when the directory or the lock file cannot be created
     */
    public static DirectoryLock acquire(Path directory, String option) throws IOException {
        Files.createDirectories(directory);
        Path file = directory.toRealPath().resolve(FILE);
        String holder = "pid " + ProcessHandle.current().pid() + ", started " + Instant.now();
        // Locks of this process are checked here, without opening the file: closing any channel
        // on a locked file releases every lock the process holds on it (POSIX record locks).
        String heldHere = HELD.putIfAbsent(file, holder);
        if (heldHere != null) {
            throw inUse(directory, option, heldHere);
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (IOException e) {
                throw new IOException(file + ": cannot lock (" + e.getMessage() + ")", e);
            }
            if (lock == null) {
                throw inUse(directory, option, holder(channel));
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((holder + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(false);
            return new DirectoryLock(file, channel, lock);
        } catch (IOException | RuntimeException e) {
            HELD.remove(file);
            if (channel != null) {
                channel.close();
            }
            throw e;
        }
    }

    private static IllegalStateException inUse(Path directory, String option, String holder) {
        return new IllegalStateException(option + " " + directory + " is in use by another"
                + " parry run" + (holder.isEmpty() ? "" : " (" + holder + ")")
                + "; wait for it to finish, or choose another " + option);
    }

    private static String holder(FileChannel channel) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(256);
        channel.read(bytes, 0);
        return new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8).strip();
    }

    /** Releases the claim. */
    @Override
    public void close() throws IOException {
        try {
            channel.truncate(0);
            lock.release();
        } finally {
            channel.close();
            HELD.remove(file);
        }
    }
}
