package org.parry.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A data set file whose content is not what its format requires: a bad magic number, a header that
 * disagrees with the file's size, a truncated or over-long payload, a label outside the class
 * range, an image that cannot be decoded. The message starts with the file's path and says what
 * was found and what was expected, so that a user can tell which file to replace.
 */
public final class DatasetFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The offset reported when a problem concerns a file as a whole rather than one position. */
    public static final long WHOLE_FILE = -1;

    private final transient Path path;
    private final long offset;
    private final String expected;

    /**
     * @param path the offending file or folder
     * @param offset byte offset of the problem in the (decompressed) content, or {@link #WHOLE_FILE}
     * @param expected what the format requires there, e.g. {@code "0x00000803 (IDX images)"}
     * @param detail what is wrong, in full; the message is {@code path + ": " + detail}
     */
    public DatasetFormatException(Path path, long offset, String expected, String detail) {
        super(path + ": " + detail);
        this.path = path;
        this.offset = offset;
        this.expected = expected;
    }

    /** Same as {@link #DatasetFormatException(Path, long, String, String)}, keeping a cause. */
    public DatasetFormatException(
            Path path, long offset, String expected, String detail, Throwable cause) {
        this(path, offset, expected, detail);
        initCause(cause);
    }

    /** The offending file or folder. */
    public Path path() {
        return path;
    }

    /** Byte offset of the problem, or {@link #WHOLE_FILE}. */
    public long offset() {
        return offset;
    }

    /** What the format requires at {@link #offset()}. */
    public String expected() {
        return expected;
    }
}
