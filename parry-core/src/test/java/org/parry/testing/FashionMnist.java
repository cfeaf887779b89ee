package org.parry.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.parry.data.DataSets;
import org.parry.data.DatasetLocator;
import org.parry.data.ImageDataset;
import org.parry.data.Split;

/**
 * Gives tests the real Fashion-MNIST when it is installed (Debian's dataset-fashion-mnist).
 * Missing data skips the test on a developer's machine and fails it under {@code CI=true}, so a
 * CI run can never pass without having run it.
 */
public final class FashionMnist {

    private FashionMnist() {}

    /** The split, or a skip (failure on CI) when the data set is not installed. */
    public static ImageDataset load(Split split) throws IOException {
        Path installed = DatasetLocator.SYSTEM_ROOT.resolve("fashion-mnist");
        boolean present = Files.isDirectory(installed);
        if (!present && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI=true but Fashion-MNIST is not installed at " + installed
                    + "; .ci/run must run 'apt-get install -y dataset-fashion-mnist'");
        }
        Assumptions.assumeTrue(present, "Fashion-MNIST is not installed (apt-get install -y dataset-fashion-mnist)");
        return DataSets.load("fashion-mnist", installed, split);
    }
}
