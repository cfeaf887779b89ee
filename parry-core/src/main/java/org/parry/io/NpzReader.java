package org.parry.io;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Reads float32 arrays back from NumPy {@code .npz} archives such as {@link NpzWriter} writes (and
 * {@code np.savez} / {@code np.savez_compressed} with {@code float32} arrays in C order): {@code .npy}
 * format version 1.0 or 2.0, descr {@code <f4}, {@code fortran_order} False. Every other content is
 * an {@link IOException} that names the file, the entry and what was expected.
 */
public final class NpzReader {

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private NpzReader() {}

    /**
     * A float32 array.
     *
     * @param data the values in C order
     * @param shape the dimensions
     */
    public record Float32(float[] data, long[] shape) {}

    /**
     * The float32 array {@code name} (the entry {@code name.npy}) of {@code file}.
     *
     * @throws IOException naming the file when it is missing, not a zip archive, lacks the entry,
     *     or the entry is not a C-order float32 array
     */
    public static Float32 readFloat32(Path file, String name) throws IOException {
        String entryName = name + ".npy";
        try (ZipInputStream zip = new ZipInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                if (entry.getName().equals(entryName)) {
                    return parse(file, entryName, zip);
                }
            }
        }
        throw new IOException(file + ": no array '" + name + "' in it (expected an .npz archive"
                + " with the entry " + entryName + ")");
    }

    private static Float32 parse(Path file, String entry, InputStream in) throws IOException {
        String where = file + " (" + entry + ")";
        byte[] magic = in.readNBytes(NpzWriter.MAGIC.length + 2);
        if (magic.length < NpzWriter.MAGIC.length + 2
                || !Arrays.equals(Arrays.copyOf(magic, NpzWriter.MAGIC.length), NpzWriter.MAGIC)) {
            throw new IOException(where + ": not a .npy array (no \\x93NUMPY magic at offset 0)");
        }
        int major = magic[NpzWriter.MAGIC.length];
        int lengthBytes = major == 1 ? 2 : major == 2 ? 4 : -1;
        if (lengthBytes < 0) {
            throw new IOException(where + ": .npy format version " + major + " at offset 6; only"
                    + " 1.0 and 2.0 are read");
        }
        byte[] length = in.readNBytes(lengthBytes);
        ByteBuffer lengthBuffer = ByteBuffer.wrap(Arrays.copyOf(length, 4)).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = lengthBuffer.getInt();
        byte[] headerBytes = in.readNBytes(headerLength);
        if (length.length < lengthBytes || headerBytes.length < headerLength) {
            throw new IOException(where + ": the .npy header is cut short");
        }
        String header = new String(headerBytes, StandardCharsets.US_ASCII);
        Matcher descr = DESCR.matcher(header);
        Matcher fortran = FORTRAN.matcher(header);
        Matcher shape = SHAPE.matcher(header);
        if (!descr.find() || !fortran.find() || !shape.find()) {
            throw new IOException(where + ": unreadable .npy header '" + header.trim() + "'");
        }
        if (!descr.group(1).equals("<f4") || fortran.group(1).equals("True")) {
            throw new IOException(where + ": expected a float32 array in C order ('<f4', fortran_order"
                    + " False), got '" + descr.group(1) + "', fortran_order " + fortran.group(1));
        }
        long[] dims = Arrays.stream(shape.group(1).split(",")).map(String::trim)
                .filter(text -> !text.isEmpty()).mapToLong(Long::parseLong).toArray();
        long count = 1;
        for (long dim : dims) {
            count = Math.multiplyExact(count, dim);
        }
        if (count > Integer.MAX_VALUE / 4) {
            throw new IOException(where + ": " + count + " values are more than a Java array holds");
        }
        byte[] bytes = in.readNBytes((int) count * 4);
        if (bytes.length != count * 4) {
            throw new IOException(where + ": expected " + count * 4 + " bytes of data for shape "
                    + Arrays.toString(dims) + ", found " + bytes.length);
        }
        float[] data = new float[(int) count];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
        return new Float32(data, dims);
    }
}
