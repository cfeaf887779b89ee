package org.parry.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetLocatorTest {

    private static final List<String> TEST_FILES = DataSets.idxFiles(Split.TEST);

    @TempDir Path tmp;

    private Path server;
    private Path system;
    private Path cache;
    private DatasetLocator locator;
    private final Map<String, byte[]> published = new LinkedHashMap<>();

    /** A fake Fashion-MNIST: the four gz files in a "server" folder, with their MD5s. */
    @BeforeEach
    void setUp() throws Exception {
        server = Files.createDirectories(tmp.resolve("server"));
        system = tmp.resolve("system");
        cache = tmp.resolve("cache");
        locator = new DatasetLocator(system, cache);
        for (Split split : Split.values()) {
            ImageDataset data = TestData.random(split == Split.TRAIN ? 12 : 5, 1, 28, 28, 10,
                    split.ordinal());
            List<String> files = DataSets.idxFiles(split);
            IdxWriter.write(data, server.resolve(files.get(0)), server.resolve(files.get(1)), true);
        }
        for (String file : DatasetSource.FASHION_MNIST.files()) {
            published.put(file, Files.readAllBytes(server.resolve(file)));
        }
    }

    private DatasetSource source() {
        Map<String, String> md5 = new LinkedHashMap<>();
        published.forEach((file, bytes) -> md5.put(file, TestData.md5(bytes)));
        return new DatasetSource("fashion-mnist", List.copyOf(published.keySet()), md5,
                server.toUri());
    }

    private static void copy(Path from, Path to, List<String> files) throws IOException {
        Files.createDirectories(to);
        for (String file : files) {
            Files.copy(from.resolve(file), to.resolve(file));
        }
    }

    private static List<String> listing(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void dataDirComesFirst() throws Exception {
        Path dataDir = tmp.resolve("mine");
        copy(server, dataDir, TEST_FILES);
        copy(server, system.resolve("fashion-mnist"), TEST_FILES);
        copy(server, cache.resolve("fashion-mnist"), TEST_FILES);
        assertThat(locator.locate(source(), TEST_FILES, dataDir)).isEqualTo(dataDir);
    }

    @Test
    void dataDirMayHoldTheDataSetInASubFolder() throws Exception {
        Path dataDir = tmp.resolve("mine");
        copy(server, dataDir.resolve("fashion-mnist"), TEST_FILES);
        assertThat(locator.locate(source(), TEST_FILES, dataDir))
                .isEqualTo(dataDir.resolve("fashion-mnist"));
    }

    @Test
    void dataDirWithoutTheFilesIsAnErrorListingWhatIsMissingAndWhatIsThere() throws Exception {
        Path dataDir = tmp.resolve("mine");
        copy(server, dataDir, List.of(TEST_FILES.get(0)));
        Files.writeString(dataDir.resolve("README"), "x");
        copy(server, system.resolve("fashion-mnist"), TEST_FILES);
        assertThatThrownBy(() -> locator.locate(source(), TEST_FILES, dataDir))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("--data-dir lacks fashion-mnist files"
                        + " [t10k-labels-idx1-ubyte.gz]")
                .hasMessageContaining("it holds [README, t10k-images-idx3-ubyte.gz]");
        assertThatThrownBy(() -> locator.locate(source(), TEST_FILES, tmp.resolve("absent")))
                .hasMessageContaining("the folder does not exist");
    }

    @Test
    void systemFolderComesBeforeTheCache() throws Exception {
        copy(server, system.resolve("fashion-mnist"), TEST_FILES);
        copy(server, cache.resolve("fashion-mnist"), TEST_FILES);
        assertThat(locator.locate(source(), TEST_FILES, null))
                .isEqualTo(system.resolve("fashion-mnist"));
    }

    @Test
    void incompleteSystemFolderFallsBackToTheCache() throws Exception {
        copy(server, system.resolve("fashion-mnist"), List.of(TEST_FILES.get(0)));
        copy(server, cache.resolve("fashion-mnist"), TEST_FILES);
        DatasetSource offline = source().withBaseUri(tmp.resolve("nowhere").toUri());
        assertThat(locator.locate(offline, TEST_FILES, null))
                .isEqualTo(cache.resolve("fashion-mnist"));
    }

    @Test
    void downloadsVerifiesAndCachesOnlyTheNeededFiles() throws Exception {
        Path dir = locator.locate(source(), TEST_FILES, null);
        assertThat(dir).isEqualTo(cache.resolve("fashion-mnist"));
        assertThat(listing(dir)).containsExactlyElementsOf(TEST_FILES.stream().sorted().toList());
        for (String file : TEST_FILES) {
            assertThat(Files.readAllBytes(dir.resolve(file))).isEqualTo(published.get(file));
        }
        // Cached now: found again with the server gone.
        DatasetSource gone = source().withBaseUri(tmp.resolve("gone/").toUri());
        assertThat(locator.locate(gone, TEST_FILES, null)).isEqualTo(dir);
        ImageDataset loaded = DataSets.load("fashion-mnist", null, Split.TEST, locator);
        assertThat(loaded.size()).isEqualTo(5);
    }

    @Test
    void checksumMismatchLeavesNothingInTheCache() throws Exception {
        DatasetSource source = source();
        String labels = TEST_FILES.get(1);
        Files.write(server.resolve(labels), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> locator.locate(source, TEST_FILES, null))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("checksum mismatch for fashion-mnist file " + labels)
                .hasMessageContaining("expected MD5 " + TestData.md5(published.get(labels)))
                .hasMessageContaining("got " + TestData.md5(new byte[] {1, 2, 3}))
                .hasMessageContaining("Nothing was cached");
        // The images file had verified and stays; no trace of the bad labels file, not even a part.
        assertThat(listing(cache.resolve("fashion-mnist"))).containsExactly(TEST_FILES.get(0));
    }

    @Test
    void unreachableSourceSaysHowToGetTheFilesOffline() throws IOException {
        DatasetSource unreachable = source().withBaseUri(tmp.resolve("offline/").toUri());
        assertThatThrownBy(() -> locator.locate(unreachable, TEST_FILES, null))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("could not download fashion-mnist file")
                .hasMessageContaining("apt-get install dataset-fashion-mnist")
                .hasMessageContaining("--data-dir");
        assertThat(listing(cache.resolve("fashion-mnist"))).isEmpty();
    }

    @Test
    void sourcesThatCannotBeDownloadedSayWhereTheyLooked() {
        assertThatThrownBy(() -> locator.locate(DatasetSource.CIFAR10,
                Cifar10Reader.fileNames(Split.TEST), null))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("data set not found")
                .hasMessageContaining(system.resolve("cifar10").toString())
                .hasMessageContaining(cache.resolve("cifar10").toString())
                .hasMessageContaining("cifar-10-binary.tar.gz");
    }

    @Test
    void downloadsOverHttpWithSha256() throws Exception {
        HttpServer http = HttpServer.create(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/data/", exchange -> {
            String name = exchange.getRequestURI().getPath().substring("/data/".length());
            byte[] body = published.get(name);
            exchange.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
            if (body != null) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
            exchange.close();
        });
        http.start();
        try {
            Map<String, String> sha256 = new LinkedHashMap<>();
            for (Map.Entry<String, byte[]> entry : published.entrySet()) {
                sha256.put(entry.getKey(), HexFormat.of().formatHex(
                        MessageDigest.getInstance("SHA-256").digest(entry.getValue())));
            }
            URI base = URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/data/");
            DatasetSource source = new DatasetSource("fashion-mnist",
                    List.copyOf(published.keySet()), sha256, base);
            assertThat(source.algorithmOf(TEST_FILES.get(0))).isEqualTo("SHA-256");
            Path dir = locator.locate(source, DataSets.idxFiles(Split.TRAIN), null);
            assertThat(IdxReader.readLabels(dir.resolve("train-labels-idx1-ubyte.gz")))
                    .hasSize(12);
            DatasetSource missing = new DatasetSource("other", List.of("absent.gz"),
                    Map.of("absent.gz", sha256.get(TEST_FILES.get(0))), base);
            assertThatThrownBy(() -> locator.locate(missing, List.of("absent.gz"), null))
                    .hasMessageContaining("could not download other file absent.gz")
                    .hasMessageContaining("pass --data-dir");
        } finally {
            http.stop(0);
        }
    }

    @Test
    void sourcesAreValidated() {
        URI base = URI.create("file:///x/");
        assertThatThrownBy(() -> new DatasetSource("x", List.of("a"), Map.of("a", "123"), base))
                .hasMessageContaining("expected 32 (MD5) or 64 (SHA-256) hex digits");
        assertThatThrownBy(() -> new DatasetSource("x", List.of("a"), Map.of(), base))
                .hasMessageContaining("checksums: missing for 'a'");
        String md5 = TestData.md5(new byte[0]);
        assertThat(new DatasetSource("x", List.of("a"), Map.of("a", md5),
                URI.create("file:///x/y")).uriOf("a")).isEqualTo(URI.create("file:///x/y/a"));
        assertThatThrownBy(() -> new DatasetSource("x", List.of("a"), Map.of("a", md5),
                URI.create("http://h/x?key=1")))
                .hasMessageContaining("plain folder address");
        assertThatThrownBy(() -> locator.locate(source(), List.of("other.gz"), null))
                .hasMessageContaining("'other.gz' is not a file of fashion-mnist");
        assertThat(DatasetSource.FASHION_MNIST.uriOf("t10k-labels-idx1-ubyte.gz").toString())
                .isEqualTo("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
                        + "t10k-labels-idx1-ubyte.gz");
        assertThat(DatasetLocator.defaults().systemRoot()).isEqualTo(Path.of("/usr/share/datasets"));
    }
}
