package org.parry.io;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks, before any work starts, that an output path can be written: a long attack or
 * evaluation must not run to its end and then fail on a path that was wrong from the start. Each
 * failure is an {@link IllegalArgumentException} whose one-line message names the option, the
 * path, what is wrong and what to do, e.g.
 * {@code --json /tmp/out: is a directory; give a file name such as /tmp/out/results.json}.
 */
public final class OutputPaths {

    private OutputPaths() {}

    /**
     * A file to be written (e.g. {@code --json}): not a directory, not an existing file unless
     * {@code overwrite}, and inside a directory that exists or can be created.
     *
     * @param option how the user named the path, for messages (e.g. {@code "--json"})
     */
    public static void checkFile(String option, Path file, boolean overwrite) {
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(option + " " + file + ": is a directory; give a file"
                    + " name such as " + file.resolve("results.json"));
        }
        if (Files.exists(file)) {
            if (!overwrite) {
                throw new IllegalArgumentException(option + " " + file + ": the file exists; pass"
                        + " --overwrite to replace it, or choose another name");
            }
            if (!Files.isWritable(file)) {
                throw new IllegalArgumentException(option + " " + file + ": the file exists and is"
                        + " not writable");
            }
        }
        checkCanCreate(option, file);
    }

    /**
     * A directory to be written into (e.g. {@code --out}, {@code --report}): an existing writable
     * directory, or a path where one can be created.
     */
    public static void checkDirectory(String option, Path directory) {
        if (Files.exists(directory)) {
            if (!Files.isDirectory(directory)) {
                throw new IllegalArgumentException(option + " " + directory + ": is a file, not a"
                        + " directory; choose a directory (it is created if missing)");
            }
            if (!Files.isWritable(directory)) {
                throw new IllegalArgumentException(option + " " + directory + ": the directory is"
                        + " not writable; choose another one");
            }
            return;
        }
        checkCanCreate(option, directory);
    }

    /** The nearest existing ancestor of {@code path} must be a writable directory. */
    private static void checkCanCreate(String option, Path path) {
        Path ancestor = path.toAbsolutePath().normalize().getParent();
        while (ancestor != null && !Files.exists(ancestor)) {
            ancestor = ancestor.getParent();
        }
        if (ancestor == null) {
            return;
        }
        if (!Files.isDirectory(ancestor)) {
            throw new IllegalArgumentException(option + " " + path + ": cannot be created, because "
                    + ancestor + " is a file, not a directory; choose another path");
        }
        if (!Files.isWritable(ancestor)) {
            throw new IllegalArgumentException(option + " " + path + ": cannot be created, because "
                    + ancestor + " is not writable; choose another path");
        }
    }
}
