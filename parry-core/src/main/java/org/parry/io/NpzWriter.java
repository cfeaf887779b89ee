package org.parry.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes NumPy {@code .npz} archives: a zip file with one {@code NAME.npy} entry per array, each
 * in the {@code .npy} format version 1.0 (magic {@code \x93NUMPY}, version 1.0, a little-endian
 * uint16 header length, a Python-dict header padded with spaces to a multiple of 64 bytes and
 * ended by a newline, then the data in C order, little-endian). {@code np.load(file)} reads it
 * back; the entries are deflated, like {@code np.savez_compressed}.
 *
 * <pre>{@code
 * try (NpzWriter npz = NpzWriter.create(Path.of("adversarial.npz"))) {
 *     npz.writeFloat32("x_adv", xAdv, n, 1, 28, 28);
 *     npz.writeInt64("y", labels, n);
 * }
 * }</pre>
 *
 * Not thread-safe; arrays are written in the order they are given.
 */
public final class NpzWriter implements Closeable {

    /** The element types Parry writes, with their NumPy {@code descr} and size in bytes. */
    public enum DType {
        FLOAT32("<f4", 4),
        INT32("<i4", 4),
        INT64("<i8", 8),
        BOOL("|b1", 1);

        private final String descr;
        private final int bytes;

        DType(String descr, int bytes) {
            this.descr = descr;
            this.bytes = bytes;
        }

        /** NumPy's type string, e.g. {@code <f4}. */
        public String descr() {
            return descr;
        }

        /** Bytes per element. */
        public int bytes() {
            return bytes;
        }
    }

    /** The {@code .npy} magic string: the byte 0x93 then {@code NUMPY}. */
    public static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    /** Header blocks are padded so the data starts on a multiple of this (NumPy uses 64). */
    public static final int ALIGNMENT = 64;

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final int CHUNK = 1 << 16;

    private final Path file;
    private final AtomicFiles.Output output;
    private final ZipOutputStream zip;
    private final Set<String> names = new HashSet<>();
    private boolean failed;

    private NpzWriter(Path file, AtomicFiles.Output output) {
        this.file = file;
        this.output = output;
        this.zip = new ZipOutputStream(output);
    }

    /**
     * Creates (or replaces) {@code file}, creating its parent directories. The archive is written
     * to a temporary file beside it and replaces {@code file} only when {@link #close()} finishes
     * a writer on which every call succeeded; after a failure {@code file} keeps its old content.
     */
    public static NpzWriter create(Path file) throws IOException {
        return new NpzWriter(file, AtomicFiles.open(file));
    }

    /** float32 array of the given shape, C order. */
    public NpzWriter writeFloat32(String name, float[] data, long... shape) throws IOException {
        begin(name, DType.FLOAT32, data.length, shape);
        ByteBuffer buffer = buffer();
        for (float value : data) {
            if (!buffer.hasRemaining()) {
                flush(buffer);
            }
            buffer.putFloat(value);
        }
        flush(buffer);
        end();
        return this;
    }

    /** int32 array of the given shape, C order. */
    public NpzWriter writeInt32(String name, int[] data, long... shape) throws IOException {
        begin(name, DType.INT32, data.length, shape);
        ByteBuffer buffer = buffer();
        for (int value : data) {
            if (!buffer.hasRemaining()) {
                flush(buffer);
            }
            buffer.putInt(value);
        }
        flush(buffer);
        end();
        return this;
    }

    /** int64 array of the given shape, C order. */
    public NpzWriter writeInt64(String name, long[] data, long... shape) throws IOException {
        begin(name, DType.INT64, data.length, shape);
        ByteBuffer buffer = buffer();
        for (long value : data) {
            if (!buffer.hasRemaining()) {
                flush(buffer);
            }
            buffer.putLong(value);
        }
        flush(buffer);
        end();
        return this;
    }

    /** int64 array of the given shape from int values (labels, class indices). */
    public NpzWriter writeInt64(String name, int[] data, long... shape) throws IOException {
        long[] wide = new long[data.length];
        for (int i = 0; i < data.length; i++) {
            wide[i] = data[i];
        }
        return writeInt64(name, wide, shape);
    }

    /** bool array (one byte per element, 0 or 1) of the given shape, C order. */
    public NpzWriter writeBool(String name, boolean[] data, long... shape) throws IOException {
        begin(name, DType.BOOL, data.length, shape);
        ByteBuffer buffer = buffer();
        for (boolean value : data) {
            if (!buffer.hasRemaining()) {
                flush(buffer);
            }
            buffer.put(value ? (byte) 1 : (byte) 0);
        }
        flush(buffer);
        end();
        return this;
    }

    /**
     * Finishes the archive and moves it over the target; when a write failed, discards it and
     * leaves the target as it was.
     */
    @Override
    public void close() throws IOException {
        if (failed) {
            output.close();
            return;
        }
        try {
            zip.finish();
            output.commit();
        } catch (IOException e) {
            output.close();
            throw AtomicFiles.named(file, e);
        } catch (RuntimeException e) {
            output.close();
            throw e;
        }
    }

    /**
     * The complete {@code .npy} version 1.0 header (magic, version, length, dict, padding,
     * newline) for an array; its length is a multiple of {@link #ALIGNMENT}.
     *
     * @throws IllegalArgumentException for a negative dimension, or a header over 65535 bytes
     */
    public static byte[] header(DType dtype, long... shape) {
        StringBuilder dict = new StringBuilder("{'descr': '").append(dtype.descr())
                .append("', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new IllegalArgumentException("shape[" + i + "] = " + shape[i] + " is negative");
            }
            dict.append(shape[i]).append(shape.length == 1 ? "," : i + 1 < shape.length ? ", " : "");
        }
        dict.append("), }");
        int prefix = MAGIC.length + 2 + 2;
        int unpadded = prefix + dict.length() + 1;
        int total = (unpadded + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
        if (total - prefix > 0xFFFF) {
            throw new IllegalArgumentException("npy header of " + (total - prefix)
                    + " bytes does not fit version 1.0 (at most 65535)");
        }
        dict.append(" ".repeat(total - unpadded)).append('\n');
        ByteBuffer out = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) (total - prefix));
        out.put(dict.toString().getBytes(StandardCharsets.US_ASCII));
        return out.array();
    }

    private void begin(String name, DType dtype, long length, long[] shape) throws IOException {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("array name '" + name + "' must be a Python"
                    + " identifier (letters, digits, _), so np.load(...)['" + name + "'] works");
        }
        if (!names.add(name)) {
            throw new IllegalArgumentException("array '" + name + "' is already in " + file);
        }
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new IllegalArgumentException("array '" + name + "': shape[" + i + "] = "
                        + shape[i] + " is negative");
            }
            elements = Math.multiplyExact(elements, shape[i]);
        }
        if (elements != length) {
            throw new IllegalArgumentException("array '" + name + "': shape "
                    + java.util.Arrays.toString(shape) + " holds " + elements + " elements, but "
                    + length + " were given");
        }
        failed = true; // until end(): an archive with a half-written entry is never committed
        zip.putNextEntry(new ZipEntry(name + ".npy"));
        zip.write(header(dtype, shape));
    }

    private void end() throws IOException {
        zip.closeEntry();
        failed = false;
    }

    private static ByteBuffer buffer() {
        return ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
    }

    private void flush(ByteBuffer buffer) throws IOException {
        zip.write(buffer.array(), 0, buffer.position());
        buffer.clear();
    }
}
