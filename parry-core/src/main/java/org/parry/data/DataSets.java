package org.parry.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Loads a data set by name: {@code fashion-mnist} (Xiao et al. 2017, arXiv:1708.07747), {@code
 * mnist} (LeCun et al. 1998), {@code cifar10} (Krizhevsky 2009, binary version) or {@code
 * synthetic} ({@link SyntheticDataset}). Files are found by a {@link DatasetLocator}.
 */
public final class DataSets {

    /** The names {@link #load} accepts. */
    public static final List<String> NAMES = List.of("fashion-mnist", "mnist", "cifar10", "synthetic");

    /** Fashion-MNIST's class names, index = label. */
    public static final List<String> FASHION_MNIST_CLASSES = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** MNIST's class names, the digits "0" to "9". */
    public static final List<String> MNIST_CLASSES =
            List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    /** Size of the synthetic training split. */
    public static final int SYNTHETIC_TRAIN_SIZE = 2000;

    /** Size of the synthetic test split. */
    public static final int SYNTHETIC_TEST_SIZE = 500;

    private static final long SYNTHETIC_TRAIN_SEED = 1;
    private static final long SYNTHETIC_TEST_SEED = 2;

    private DataSets() {}

    /**
     * Loads one split of a named data set using {@link DatasetLocator#defaults()}.
     *
     * @param name one of {@link #NAMES}, case-insensitive
     * @param dataDir the folder the user named ({@code --data-dir}), or null to search
     * @param split which split
     * @throws IllegalArgumentException if the name is unknown (the message lists valid ones)
     * @throws IOException if the files cannot be found, fetched or parsed
     */
    public static ImageDataset load(String name, Path dataDir, Split split) throws IOException {
        return load(name, dataDir, split, DatasetLocator.defaults());
    }

    /**
     * As {@link #load(String, Path, Split)}, keeping only the first {@code limit} images; IDX files
     * are read only as far as those need (a header promising millions of images costs nothing).
     *
     * @param limit at least 1
     */
    public static ImageDataset load(String name, Path dataDir, Split split, int limit)
            throws IOException {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, got " + limit);
        }
        ImageDataset data = load(name, dataDir, split, DatasetLocator.defaults(), limit);
        return data.size() > limit ? data.first(limit) : data;
    }

    /** As {@link #load(String, Path, Split)}, with the given locator. */
    public static ImageDataset load(String name, Path dataDir, Split split, DatasetLocator locator)
            throws IOException {
        return load(name, dataDir, split, locator, Integer.MAX_VALUE);
    }

    private static ImageDataset load(String name, Path dataDir, Split split,
            DatasetLocator locator, int limit) throws IOException {
        if (split == null || locator == null) {
            throw new IllegalArgumentException(
                    "split and locator must not be null, got " + split + ", " + locator);
        }
        String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        switch (key) {
            case "fashion-mnist":
                return loadIdx(DatasetSource.FASHION_MNIST, FASHION_MNIST_CLASSES, dataDir, split,
                        locator, limit);
            case "mnist":
                return loadIdx(DatasetSource.MNIST, MNIST_CLASSES, dataDir, split, locator, limit);
            case "cifar10":
                return Cifar10Reader.read(
                        locator.locate(DatasetSource.CIFAR10, Cifar10Reader.fileNames(split),
                                dataDir),
                        split);
            case "synthetic":
                return split == Split.TRAIN
                        ? SyntheticDataset.generate(SYNTHETIC_TRAIN_SIZE, 10, 1, 28, 28,
                                SYNTHETIC_TRAIN_SEED)
                        : SyntheticDataset.generate(SYNTHETIC_TEST_SIZE, 10, 1, 28, 28,
                                SYNTHETIC_TEST_SEED);
            default:
                throw new IllegalArgumentException(
                        "name: unknown data set '" + name + "', expected one of " + NAMES);
        }
    }

    /**
     * The IDX file names of {@code split}: images first, then labels, gzipped as published (a
     * folder may hold them uncompressed instead, see {@link DatasetLocator#fileIn}).
     */
    public static List<String> idxFiles(Split split) {
        String prefix = split == Split.TRAIN ? "train" : "t10k";
        return List.of(prefix + "-images-idx3-ubyte.gz", prefix + "-labels-idx1-ubyte.gz");
    }

    private static ImageDataset loadIdx(
            DatasetSource source,
            List<String> classNames,
            Path dataDir,
            Split split,
            DatasetLocator locator,
            int limit)
            throws IOException {
        List<String> files = idxFiles(split);
        Path dir = locator.locate(source, files, dataDir);
        return IdxReader.read(DatasetLocator.fileIn(dir, files.get(0)),
                DatasetLocator.fileIn(dir, files.get(1)), source.name(), classNames, limit);
    }
}
