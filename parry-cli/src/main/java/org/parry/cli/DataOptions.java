package org.parry.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.parry.data.BatchSize;
import org.parry.data.DataSets;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import picocli.CommandLine.Option;

/** The data options every command shares. */
final class DataOptions {

    @Option(names = "--dataset", defaultValue = "fashion-mnist",
            description = "fashion-mnist, mnist, cifar10 or synthetic (default: ${DEFAULT-VALUE}).")
    String dataset;

    @Option(names = "--data-dir", description = "Directory holding the data set's files, for"
            + " MNIST and Fashion-MNIST gzipped or not (default: /usr/share/datasets/<name>,"
            + " then a download cache).")
    Path dataDir;

    @Option(names = "--n", description = "Use only the first N images of the split.")
    Integer n;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of every random draw (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--batch-size", defaultValue = "128", description = "Images per batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    /** The split, cut to the first {@code --n} images if given. */
    ImageDataset load(Split split) throws IOException {
        if (n != null && n < 1) {
            throw new IllegalArgumentException("--n must be >= 1, got " + n);
        }
        ImageDataset data = n == null ? DataSets.load(dataset, dataDir, split)
                : DataSets.load(dataset, dataDir, split, n);
        batchSize = BatchSize.check(batchSize, data, BatchSize.availableBytes());
        return data;
    }
}
