package org.parry.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the binary version of CIFAR-10 (Krizhevsky 2009, "Learning Multiple Layers of Features
 * from Tiny Images"; {@code cifar-10-binary.tar.gz}, extracted to {@code cifar-10-batches-bin/}).
 * Each file is a sequence of 3073-byte records: one label byte 0..9, then a 32×32 image as three
 * 1024-byte planes, red, green and blue, each row-major — exactly CHW order. The training split is
 * {@code data_batch_1.bin} … {@code data_batch_5.bin}, the test split {@code test_batch.bin}, 10000
 * records each. Class names come from {@code batches.meta.txt} when present.
 */
public final class Cifar10Reader {

    /** Bytes in one record: a label byte and 3 × 32 × 32 pixel bytes. */
    public static final int RECORD_BYTES = 1 + 3 * 32 * 32;

    /** The standard CIFAR-10 class names, index = label. */
    public static final List<String> CLASS_NAMES = List.of(
            "airplane", "automobile", "bird", "cat", "deer",
            "dog", "frog", "horse", "ship", "truck");

    private static final String META_FILE = "batches.meta.txt";

    private Cifar10Reader() {}

    /** The file names that make up {@code split}, in reading order. */
    public static List<String> fileNames(Split split) {
        if (split == Split.TEST) {
            return List.of("test_batch.bin");
        }
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            names.add("data_batch_" + i + ".bin");
        }
        return List.copyOf(names);
    }

    /**
     * Reads one split from {@code dir}, the extracted {@code cifar-10-batches-bin} folder.
     *
     * @throws NoSuchFileException listing the expected file names if any is missing
     * @throws DatasetFormatException if a file's size is not a whole number of records or a label
     *     byte is not a class
     */
    public static ImageDataset read(Path dir, Split split) throws IOException {
        if (split == null) {
            throw new IllegalArgumentException("split must not be null");
        }
        List<String> names = fileNames(split);
        List<String> missing = new ArrayList<>();
        for (String name : names) {
            if (!Files.isRegularFile(dir.resolve(name))) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            throw new NoSuchFileException(dir.toString(), null,
                    "CIFAR-10 " + split.id() + " split incomplete: missing " + missing
                            + "; expected " + names + " (the binary version, cifar-10-binary.tar.gz,"
                            + " extracted)");
        }
        List<String> classNames = classNames(dir);
        List<Long> counts = new ArrayList<>();
        long total = 0;
        for (String name : names) {
            counts.add(recordCount(dir.resolve(name)));
            total += counts.get(counts.size() - 1);
        }
        int imageBytes = RECORD_BYTES - 1;
        if (total * imageBytes > Integer.MAX_VALUE - 8) {
            throw new DatasetFormatException(dir, DatasetFormatException.WHOLE_FILE,
                    "at most " + (Integer.MAX_VALUE - 8) / imageBytes + " records",
                    "the " + split.id() + " files hold " + total + " records, too many to load");
        }
        byte[] pixels = new byte[(int) total * imageBytes];
        int[] labels = new int[(int) total];
        int next = 0;
        for (int f = 0; f < names.size(); f++) {
            Path file = dir.resolve(names.get(f));
            byte[] content = Files.readAllBytes(file);
            if (content.length != counts.get(f) * RECORD_BYTES) {
                throw new DatasetFormatException(file, DatasetFormatException.WHOLE_FILE,
                        counts.get(f) * RECORD_BYTES + " bytes",
                        "changed size while being read, now " + content.length + " bytes");
            }
            for (int r = 0; r < counts.get(f); r++, next++) {
                int offset = r * RECORD_BYTES;
                int label = content[offset] & 0xFF;
                if (label >= classNames.size()) {
                    throw new DatasetFormatException(file, offset,
                            "a label byte in [0, " + classNames.size() + ")",
                            "label byte " + label + " of record " + r + " (at offset " + offset
                                    + ") is not a CIFAR-10 class (0.." + (classNames.size() - 1)
                                    + "); is this the CIFAR-10 (not CIFAR-100) binary version?");
                }
                labels[next] = label;
                System.arraycopy(content, offset + 1, pixels, next * imageBytes, imageBytes);
            }
        }
        return ImageDataset.owning("cifar10", 3, 32, 32, pixels, labels, classNames);
    }

    private static long recordCount(Path file) throws IOException {
        long size = Files.size(file);
        String expected = "a whole number of " + RECORD_BYTES + "-byte records";
        if (size == 0) {
            throw new DatasetFormatException(file, 0, expected,
                    "file is empty; expected " + expected + " (1 label byte + 3072 pixel bytes"
                            + " each)");
        }
        if (size % RECORD_BYTES != 0) {
            throw new DatasetFormatException(file, size - size % RECORD_BYTES, expected,
                    "file size " + size + " bytes is not a multiple of " + RECORD_BYTES
                            + " (1 label byte + 3072 pixel bytes per record): "
                            + size / RECORD_BYTES + " whole records and " + size % RECORD_BYTES
                            + " bytes left over; is this the complete CIFAR-10 binary version"
                            + " (not the Python or MATLAB one)?");
        }
        return size / RECORD_BYTES;
    }

    private static List<String> classNames(Path dir) throws IOException {
        Path meta = dir.resolve(META_FILE);
        if (!Files.isRegularFile(meta)) {
            return CLASS_NAMES;
        }
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(meta, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                names.add(line.strip());
            }
        }
        if (names.size() != CLASS_NAMES.size()) {
            throw new DatasetFormatException(meta, DatasetFormatException.WHOLE_FILE,
                    CLASS_NAMES.size() + " class names, one per line",
                    "lists " + names.size() + " class names " + names + ", expected "
                            + CLASS_NAMES.size());
        }
        return List.copyOf(names);
    }
}
