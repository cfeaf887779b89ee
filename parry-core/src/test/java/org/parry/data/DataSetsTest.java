package org.parry.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataSetsTest {

    @TempDir Path tmp;

    /** A locator whose system and cache roots are empty temporary folders. */
    private DatasetLocator isolated() {
        return new DatasetLocator(tmp.resolve("system"), tmp.resolve("cache"));
    }

    @Test
    void unknownNamesListTheValidOnes() {
        assertThatThrownBy(() -> DataSets.load("imagenet", null, Split.TEST, isolated()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("name: unknown data set 'imagenet', expected one of"
                        + " [fashion-mnist, mnist, cifar10, synthetic]");
    }

    @Test
    void syntheticHasFixedSeedsPerSplit() throws Exception {
        ImageDataset train = DataSets.load("synthetic", null, Split.TRAIN, isolated());
        ImageDataset test = DataSets.load("Synthetic", null, Split.TEST, isolated());
        assertThat(train.size()).isEqualTo(2000);
        assertThat(test.size()).isEqualTo(500);
        assertThat(train.imageShape().getShape()).containsExactly(1, 28, 28);
        assertThat(train.numClasses()).isEqualTo(10);
        assertThat(DataSets.load("synthetic", null, Split.TRAIN, isolated()).sha256())
                .isEqualTo(train.sha256());
        assertThat(test.first(100).sha256()).isNotEqualTo(train.first(100).sha256());
    }

    @Test
    void loadsIdxDataSetsFromADataDirWithTheirClassNames() throws Exception {
        Path dataDir = tmp.resolve("data");
        Files.createDirectories(dataDir);
        ImageDataset data = TestData.random(9, 1, 28, 28, 10, 1);
        List<String> files = DataSets.idxFiles(Split.TRAIN);
        IdxWriter.write(data, dataDir.resolve(files.get(0)), dataDir.resolve(files.get(1)), true);

        ImageDataset fashion = DataSets.load("fashion-mnist", dataDir, Split.TRAIN, isolated());
        assertThat(fashion.name()).isEqualTo("fashion-mnist");
        assertThat(fashion.classNames()).isEqualTo(DataSets.FASHION_MNIST_CLASSES);
        assertThat(fashion.classNames().get(0)).isEqualTo("T-shirt/top");
        assertThat(fashion.sha256()).isEqualTo(data.sha256());

        ImageDataset mnist = DataSets.load("mnist", dataDir, Split.TRAIN, isolated());
        assertThat(mnist.name()).isEqualTo("mnist");
        assertThat(mnist.classNames()).containsExactly("0", "1", "2", "3", "4", "5", "6", "7",
                "8", "9");
        assertThatThrownBy(() -> DataSets.load("mnist", dataDir, Split.TEST, isolated()))
                .hasMessageContaining("t10k-images-idx3-ubyte.gz");
    }

    /** A folder of gunzipped MNIST files (t10k-images-idx3-ubyte, ...) reads like the .gz one. */
    @Test
    void loadsUncompressedIdxFilesFromADataDir() throws Exception {
        Path gzipped = Files.createDirectories(tmp.resolve("gz"));
        Path raw = Files.createDirectories(tmp.resolve("raw"));
        ImageDataset data = TestData.random(7, 1, 28, 28, 10, 3);
        List<String> files = DataSets.idxFiles(Split.TEST);
        IdxWriter.write(data, gzipped.resolve(files.get(0)), gzipped.resolve(files.get(1)), true);
        IdxWriter.write(data, raw.resolve(files.get(0).replace(".gz", "")),
                raw.resolve(files.get(1).replace(".gz", "")), false);
        assertThat(Files.readAllBytes(raw.resolve("t10k-images-idx3-ubyte")))
                .as("really uncompressed").startsWith(0, 0, 8, 3);

        ImageDataset fromGz = DataSets.load("mnist", gzipped, Split.TEST, isolated());
        ImageDataset fromRaw = DataSets.load("mnist", raw, Split.TEST, isolated());
        assertThat(fromRaw.size()).isEqualTo(7);
        assertThat(fromRaw.labels()).isEqualTo(data.labels());
        assertThat(fromRaw.sha256()).isEqualTo(data.sha256()).isEqualTo(fromGz.sha256());
        assertThatThrownBy(() -> DataSets.load("mnist", raw, Split.TRAIN, isolated()))
                .hasMessageContaining("train-images-idx3-ubyte.gz")
                .hasMessageContaining("gzipped or not");
    }

    @Test
    void loadsCifar10FromADataDir() throws Exception {
        Path dataDir = Files.createDirectories(tmp.resolve("cifar-10-batches-bin"));
        Files.write(dataDir.resolve("test_batch.bin"), new byte[2 * Cifar10Reader.RECORD_BYTES]);
        ImageDataset test = DataSets.load("cifar10", dataDir, Split.TEST, isolated());
        assertThat(test.size()).isEqualTo(2);
        assertThat(test.imageShape().getShape()).containsExactly(3, 32, 32);
    }

    /**
     * The real Fashion-MNIST from Debian's package. Skipped when it is not installed, except under
     * CI=true, where its absence is a failure.
     */
    @Test
    void loadsTheInstalledFashionMnist() throws Exception {
        Path installed = DatasetLocator.SYSTEM_ROOT.resolve("fashion-mnist");
        boolean present = Files.isDirectory(installed);
        if (!present && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI=true but Fashion-MNIST is not installed at " + installed
                    + " (apt-get install dataset-fashion-mnist)");
        }
        Assumptions.assumeTrue(present, "Fashion-MNIST is not installed at " + installed);

        // Debian recompresses the files; their content is the published one, whose raw MD5s are
        // the ones torchvision lists for the decompressed files.
        Map<String, String> rawMd5 = Map.of(
                "train-images-idx3-ubyte.gz", "f4a8712d7a061bf5bd6d2ca38dc4d50a",
                "train-labels-idx1-ubyte.gz", "9018921c3c673c538a1fc5bad174d6f9",
                "t10k-images-idx3-ubyte.gz", "8181f5470baa50b63fa0f6fddb340f0a",
                "t10k-labels-idx1-ubyte.gz", "15d484375f8d13e6eb1aabb0c3f46965");
        for (Map.Entry<String, String> entry : rawMd5.entrySet()) {
            assertThat(decompressedMd5(installed.resolve(entry.getKey())))
                    .as(entry.getKey()).isEqualTo(entry.getValue());
        }

        DatasetLocator locator = new DatasetLocator(DatasetLocator.SYSTEM_ROOT, tmp.resolve("cache"));
        ImageDataset train = DataSets.load("fashion-mnist", null, Split.TRAIN, locator);
        ImageDataset test = DataSets.load("fashion-mnist", null, Split.TEST, locator);
        assertThat(train.size()).isEqualTo(60_000);
        assertThat(test.size()).isEqualTo(10_000);
        assertThat(train.imageShape().getShape()).containsExactly(1, 28, 28);
        assertThat(train.classNames()).isEqualTo(DataSets.FASHION_MNIST_CLASSES);
        int[] counts = new int[10];
        for (int label : test.labels()) {
            counts[label]++;
        }
        assertThat(counts).containsOnly(1000);
        // Content hashes (pixels + labels, see ImageDataset.sha256) for provenance records.
        assertThat(train.sha256())
                .isEqualTo("e0ee501d5e8b67d20bce44d2e4a20a2bc9e70a98398694cdb90089548d193923");
        assertThat(test.sha256())
                .isEqualTo("b0ddfd46cd8862d9f5e6022aa5abab79e1ed6373f2ceda0cff09866123c0c5c5");
        assertThat(Files.exists(tmp.resolve("cache"))).isFalse();
    }

    private static String decompressedMd5(Path gz) throws Exception {
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        try (InputStream in = new DigestInputStream(
                new GZIPInputStream(Files.newInputStream(gz)), md5)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md5.digest());
    }
}
