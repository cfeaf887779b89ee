package org.parry.data;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files, the format of MNIST (LeCun et al. 1998) and Fashion-MNIST (Xiao et al. 2017,
 * arXiv:1708.07747): a big-endian magic number {@code 0x000008DD} (unsigned bytes, DD dimensions),
 * DD big-endian int dimensions, then the payload. Files may be raw or gzip-compressed; gzip is
 * detected by its magic bytes {@code 1f 8b}, not by the file name.
 *
 * <p>Every header is validated before anything is allocated: the magic number, each dimension
 * (positive, at most {@value #MAX_COUNT} items and {@value #MAX_SIDE} pixels a side), and for raw
 * files that the payload size equals what the header promises. Compressed payloads are read into a
 * buffer that grows with the data actually decompressed and never past what the header promises,
 * so a damaged header cannot make the reader allocate gigabytes. Truncated data and trailing
 * garbage are both errors.
 */
public final class IdxReader {

    /** Magic number of an IDX file of unsigned-byte images (3 dimensions: count, rows, cols). */
    public static final int IMAGES_MAGIC = 0x00000803;

    /** Magic number of an IDX file of unsigned-byte labels (1 dimension: count). */
    public static final int LABELS_MAGIC = 0x00000801;

    /** Largest accepted number of images or labels in one file. */
    public static final int MAX_COUNT = 100_000_000;

    /** Largest accepted image height or width. */
    public static final int MAX_SIDE = 4096;

    /** Largest payload a Java byte array can hold. */
    private static final long MAX_PAYLOAD = Integer.MAX_VALUE - 8;

    /** First buffer size for compressed payloads, whose real size is known only at the end. */
    private static final int FIRST_GZIP_BUFFER = 1 << 20;

    /** How much trailing data is counted before the reader stops and says "at least". */
    private static final long MAX_TRAILING_COUNT = 1 << 20;

    private IdxReader() {}

    /**
     * Reads an IDX images file and its labels file into a one-channel data set.
     *
     * @param imagesFile IDX unsigned-byte images, raw or gzip
     * @param labelsFile IDX unsigned-byte labels, raw or gzip, as many as there are images
     * @param name the data set's name
     * @param classNames the class names; every label must be below their count
     * @throws DatasetFormatException if either file is malformed, the counts differ or a label is
     *     out of range
     * @throws IOException if a file cannot be read
     */
    public static ImageDataset read(
            Path imagesFile, Path labelsFile, String name, List<String> classNames)
            throws IOException {
        return read(imagesFile, labelsFile, name, classNames, Integer.MAX_VALUE);
    }

    /**
     * As {@link #read(Path, Path, String, List)}, reading only the first {@code limit} examples:
     * the files are streamed and reading stops once {@code limit} examples are in, so a header
     * that promises millions of images costs nothing beyond what is read. The headers are still
     * checked against each other and, for raw files, against the file size; the unread rest of a
     * gzip file is not inflated, so a truncation past the first {@code limit} examples is found
     * only when the whole split is read.
     *
     * @param limit at least 1; {@link Integer#MAX_VALUE} reads everything
     */
    public static ImageDataset read(
            Path imagesFile, Path labelsFile, String name, List<String> classNames, int limit)
            throws IOException {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank, got '" + name + "'");
        }
        if (classNames == null || classNames.isEmpty()) {
            throw new IllegalArgumentException(
                    "classNames must list at least one class, got " + classNames);
        }
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, got " + limit);
        }
        int labelCount;
        int[] labels;
        try (IdxInput input = IdxInput.open(labelsFile, LABELS_MAGIC)) {
            labelCount = input.dims[0];
            labels = toLabels(input.readPayload(limit));
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] >= classNames.size()) {
                throw new DatasetFormatException(
                        labelsFile,
                        8L + i,
                        "a label in [0, " + classNames.size() + ")",
                        "label " + labels[i] + " of example " + i + " (at offset " + (8L + i)
                                + ") is out of range: data set '" + name + "' has "
                                + classNames.size() + " classes (0.." + (classNames.size() - 1)
                                + ")");
            }
        }
        try (IdxInput images = IdxInput.open(imagesFile, IMAGES_MAGIC)) {
            if (images.dims[0] != labelCount) {
                throw new DatasetFormatException(
                        imagesFile,
                        4,
                        labelCount + " images, one per label",
                        "count mismatch: this file holds " + images.dims[0] + " images but "
                                + labelsFile + " holds " + labelCount
                                + " labels; are the two files from the same split?");
            }
            byte[] pixels = images.readPayload(limit);
            return ImageDataset.owning(
                    name, 1, images.dims[1], images.dims[2], pixels, labels, classNames);
        }
    }

    /**
     * Reads an IDX unsigned-byte images file (magic {@code 0x00000803}).
     *
     * @throws DatasetFormatException if the file is not a well-formed IDX images file
     */
    public static IdxImages readImages(Path file) throws IOException {
        try (IdxInput input = IdxInput.open(file, IMAGES_MAGIC)) {
            byte[] pixels = input.readPayload(Integer.MAX_VALUE);
            return new IdxImages(input.dims[0], input.dims[1], input.dims[2], pixels);
        }
    }

    /**
     * Reads an IDX unsigned-byte labels file (magic {@code 0x00000801}) into ints 0..255.
     *
     * @throws DatasetFormatException if the file is not a well-formed IDX labels file
     */
    public static int[] readLabels(Path file) throws IOException {
        try (IdxInput input = IdxInput.open(file, LABELS_MAGIC)) {
            return toLabels(input.readPayload(Integer.MAX_VALUE));
        }
    }

    private static int[] toLabels(byte[] bytes) {
        int[] labels = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            labels[i] = bytes[i] & 0xFF;
        }
        return labels;
    }

    /** An open IDX file whose header has been read and validated. */
    private static final class IdxInput implements Closeable {

        private final Path path;
        private final boolean gzip;
        private final InputStream in;
        private final int[] dims;
        private final int headerBytes;
        private final long payloadBytes;

        private IdxInput(Path path, boolean gzip, InputStream in, int[] dims) {
            this.path = path;
            this.gzip = gzip;
            this.in = in;
            this.dims = dims;
            this.headerBytes = 4 + 4 * dims.length;
            long product = 1;
            for (int dim : dims) {
                product *= dim;
            }
            this.payloadBytes = product;
        }

        static IdxInput open(Path path, int magic) throws IOException {
            long fileSize = Files.size(path);
            InputStream file = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
            try {
                file.mark(2);
                boolean gzip = file.read() == 0x1f && file.read() == 0x8b;
                file.reset();
                InputStream in = gzip ? gunzip(path, file) : file;
                int[] dims = readHeader(path, new DataInputStream(in), magic, gzip);
                IdxInput input = new IdxInput(path, gzip, in, dims);
                if (input.payloadBytes > MAX_PAYLOAD) {
                    throw new DatasetFormatException(
                            path,
                            4,
                            "at most " + MAX_PAYLOAD + " payload bytes",
                            "header promises " + describe(dims) + " = " + input.payloadBytes
                                    + " bytes, more than one array can hold; the header is"
                                    + " corrupt or the file is not meant for this reader");
                }
                if (!gzip) {
                    input.checkRawSize(fileSize);
                }
                return input;
            } catch (IOException | RuntimeException e) {
                file.close();
                throw e;
            }
        }

        private static InputStream gunzip(Path path, InputStream file) throws IOException {
            try {
                return new GZIPInputStream(file, 1 << 16);
            } catch (EOFException | ZipException e) {
                throw new DatasetFormatException(
                        path,
                        0,
                        "a gzip header",
                        "starts like gzip (1f 8b) but its gzip header is damaged: "
                                + e.getMessage(),
                        e);
            }
        }

        private static int[] readHeader(Path path, DataInputStream in, int magic, boolean gzip)
                throws IOException {
            long offset = 0;
            try {
                int found = in.readInt();
                if (found != magic) {
                    throw new DatasetFormatException(
                            path, 0, describeMagic(magic), badMagic(found, magic));
                }
                int[] dims = new int[magic & 0xFF];
                for (int d = 0; d < dims.length; d++) {
                    offset = 4 + 4L * d;
                    dims[d] = in.readInt();
                    checkDimension(path, offset, d, dims[d]);
                }
                return dims;
            } catch (EOFException e) {
                throw new DatasetFormatException(
                        path,
                        offset,
                        "a " + (4 + 4 * (magic & 0xFF)) + "-byte IDX header",
                        (gzip ? "decompressed data" : "file") + " ends inside the IDX header"
                                + " (before byte " + (offset + 4) + "); the file is truncated or"
                                + " empty",
                        e);
            } catch (ZipException e) {
                throw corruptGzip(path, offset, e);
            }
        }

        private static void checkDimension(Path path, long offset, int d, int value)
                throws DatasetFormatException {
            int max = d == 0 ? MAX_COUNT : MAX_SIDE;
            String what = d == 0 ? "item count" : (d == 1 ? "rows" : "cols");
            if (value <= 0 || value > max) {
                throw new DatasetFormatException(
                        path,
                        offset,
                        what + " in [1, " + max + "]",
                        "implausible header: " + what + " = " + value + " at offset " + offset
                                + " is outside [1, " + max + "]; the file is corrupt or not an"
                                + " MNIST-style IDX file");
            }
        }

        private void checkRawSize(long fileSize) throws DatasetFormatException {
            long actual = fileSize - headerBytes;
            if (actual < payloadBytes) {
                throw new DatasetFormatException(
                        path,
                        fileSize,
                        payloadBytes + " payload bytes",
                        "file is truncated: the header promises " + describe(dims) + " = "
                                + payloadBytes + " bytes after the " + headerBytes
                                + "-byte header, but the file has only " + actual + "; "
                                + (payloadBytes - actual) + " bytes are missing");
            }
            if (actual > payloadBytes) {
                throw trailing(actual - payloadBytes, false);
            }
        }

        /**
         * Reads the payload of the first {@code items} items; when that is all the header promises,
         * checks that nothing follows. The buffer of a gzip file grows with what is inflated, so a
         * header that promises more than the file holds costs only what the file holds.
         */
        byte[] readPayload(int items) throws IOException {
            boolean whole = items >= dims[0];
            int total = (int) (whole ? payloadBytes : payloadBytes / dims[0] * items);
            byte[] buffer = new byte[gzip ? Math.min(total, FIRST_GZIP_BUFFER) : total];
            int filled = 0;
            try {
                while (filled < total) {
                    if (filled == buffer.length) {
                        buffer = Arrays.copyOf(buffer, (int) Math.min(total, 2L * buffer.length));
                    }
                    int n = in.read(buffer, filled, buffer.length - filled);
                    if (n < 0) {
                        throw truncated(filled, null);
                    }
                    filled += n;
                }
                if (!whole) {
                    return buffer; // the rest is not needed: stop without inflating it
                }
                long extra = 0;
                while (extra < MAX_TRAILING_COUNT && in.read() >= 0) {
                    extra++;
                }
                if (extra > 0) {
                    throw trailing(extra, extra >= MAX_TRAILING_COUNT);
                }
            } catch (EOFException e) {
                throw truncated(filled, e);
            } catch (ZipException e) {
                throw corruptGzip(path, headerBytes + (long) filled, e);
            }
            return buffer;
        }

        private DatasetFormatException truncated(int filled, EOFException cause) {
            long missing = payloadBytes - filled;
            String detail = missing == 0
                    ? "gzip stream is truncated: all " + payloadBytes + " payload bytes are there"
                            + " but the gzip trailer is missing"
                    : (gzip ? "gzip stream is truncated" : "file is truncated")
                            + ": the header promises " + describe(dims) + " = " + payloadBytes
                            + " bytes but the " + (gzip ? "decompressed " : "") + "data ends after "
                            + filled + "; " + missing + " bytes are missing";
            DatasetFormatException e = new DatasetFormatException(
                    path, headerBytes + (long) filled, payloadBytes + " payload bytes", detail);
            if (cause != null) {
                e.initCause(cause);
            }
            return e;
        }

        private DatasetFormatException trailing(long extra, boolean atLeast) {
            return new DatasetFormatException(
                    path,
                    headerBytes + payloadBytes,
                    "end of " + (gzip ? "decompressed data" : "file") + " after " + payloadBytes
                            + " payload bytes",
                    "trailing garbage: " + (atLeast ? "at least " : "") + extra
                            + " bytes follow the " + payloadBytes + " payload bytes that the"
                            + " header promises (" + describe(dims) + "); the dimensions in the"
                            + " header do not match the file's size");
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    private static DatasetFormatException corruptGzip(Path path, long offset, ZipException e) {
        return new DatasetFormatException(
                path,
                offset,
                "valid gzip data",
                "corrupt gzip data near decompressed offset " + offset + ": " + e.getMessage(),
                e);
    }

    private static String badMagic(int found, int magic) {
        String text = String.format(
                "bad magic number 0x%08x at offset 0, expected %s", found, describeMagic(magic));
        int other = magic == IMAGES_MAGIC ? LABELS_MAGIC : IMAGES_MAGIC;
        if (found == other) {
            return text + "; this is an IDX " + (other == LABELS_MAGIC ? "labels" : "images")
                    + " file: were the images and labels files swapped?";
        }
        int type = (found >>> 8) & 0xFF;
        boolean idxType = type == 0x08 || type == 0x09 || (type >= 0x0B && type <= 0x0E);
        if ((found & 0xFFFF0000) == 0 && idxType && (found & 0xFF) > 0) {
            return text + String.format(
                    "; this looks like an IDX file of element type 0x%02x with %d dimensions,"
                            + " but this reader needs unsigned bytes (type 0x08) with %d",
                    type, found & 0xFF, magic & 0xFF);
        }
        return text + "; is this an MNIST/Fashion-MNIST file?";
    }

    private static String describeMagic(int magic) {
        return String.format("0x%08x (IDX unsigned-byte %s)", magic,
                magic == IMAGES_MAGIC ? "images" : "labels");
    }

    private static String describe(int[] dims) {
        return dims.length == 1
                ? dims[0] + " labels"
                : dims[0] + " images of " + dims[1] + "x" + dims[2];
    }
}
