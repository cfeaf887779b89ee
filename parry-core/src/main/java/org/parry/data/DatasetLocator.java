package org.parry.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the folder that holds a data set's files. The search order is:
 *
 * <ol>
 *   <li>the folder the user named ({@code --data-dir}), or its sub-folder named after the data set;
 *       if a folder was named, it is the only place looked at, and missing files are an error
 *       that lists what is missing and what is there;
 *   <li>the system folder {@code <systemRoot>/<name>}, e.g. {@code /usr/share/datasets/fashion-mnist}
 *       where Debian's package {@code dataset-fashion-mnist} installs Fashion-MNIST;
 *   <li>the cache folder {@code <cacheRoot>/<name>}, where missing files are downloaded from the
 *       source's address and checked against its published checksums. A download goes to a
 *       temporary file that is moved into place only once its checksum matches, so the cache
 *       never holds a partial or corrupt file.
 * </ol>
 *
 * <p>In a user or system folder, a gzipped file ({@code t10k-images-idx3-ubyte.gz}) may also be
 * there uncompressed ({@code t10k-images-idx3-ubyte}): see {@link #fileIn}.
 *
 * <p>Files found in a user or system folder are not checksum-verified: Debian recompresses
 * Fashion-MNIST (its {@code .gz} files differ from the published ones, their content does not),
 * and the readers validate the structure of whatever they read.
 */
public final class DatasetLocator {

    /** Where Debian's {@code dataset-*} packages install data sets. */
    public static final Path SYSTEM_ROOT = Path.of("/usr/share/datasets");

    /** Environment variable that overrides the cache root {@code ~/.cache/parry}. */
    public static final String CACHE_ENV = "PARRY_CACHE";

    private static final Logger LOG = LoggerFactory.getLogger(DatasetLocator.class);

    private static final String GZ = ".gz";

    private static final int CONNECT_TIMEOUT_MS = 30_000;
    private static final int READ_TIMEOUT_MS = 60_000;

    /** How to get a data set without a network, by name. */
    private static final Map<String, String> OFFLINE_HINTS = Map.of(
            "fashion-mnist",
            "install Debian's package (apt-get install dataset-fashion-mnist), which puts the"
                    + " files in " + SYSTEM_ROOT.resolve("fashion-mnist"),
            "cifar10",
            "download cifar-10-binary.tar.gz (https://www.cs.toronto.edu/~kriz/cifar.html) and"
                    + " extract it: they are in its folder cifar-10-batches-bin");

    private final Path systemRoot;
    private final Path cacheRoot;

    /**
     * @param systemRoot the folder holding system-installed data sets, one sub-folder each
     * @param cacheRoot the folder holding downloaded data sets, one sub-folder each
     */
    public DatasetLocator(Path systemRoot, Path cacheRoot) {
        if (systemRoot == null || cacheRoot == null) {
            throw new IllegalArgumentException("systemRoot and cacheRoot must not be null, got "
                    + systemRoot + " and " + cacheRoot);
        }
        this.systemRoot = systemRoot;
        this.cacheRoot = cacheRoot;
    }

    /**
     * The standard locator: system root {@code /usr/share/datasets}, cache root {@code
     * $PARRY_CACHE} if set, else {@code ~/.cache/parry}.
     */
    public static DatasetLocator defaults() {
        String env = System.getenv(CACHE_ENV);
        Path cache = env != null && !env.isBlank()
                ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "parry");
        return new DatasetLocator(SYSTEM_ROOT, cache);
    }

    /** The folder holding system-installed data sets. */
    public Path systemRoot() {
        return systemRoot;
    }

    /** The folder holding downloaded data sets. */
    public Path cacheRoot() {
        return cacheRoot;
    }

    /**
     * Returns a folder that holds all of {@code files}, searching (and downloading) as described
     * in the class comment.
     *
     * @param source the data set's files, checksums and address
     * @param files the files needed now, each one of {@code source.files()}
     * @param dataDir the folder the user named, or null
     * @throws NoSuchFileException if {@code dataDir} lacks files, or the files are nowhere and
     *     cannot be downloaded
     * @throws IOException if a download fails or its checksum does not match
     */
    public Path locate(DatasetSource source, List<String> files, Path dataDir) throws IOException {
        if (source == null || files == null || files.isEmpty()) {
            throw new IllegalArgumentException(
                    "source and a non-empty list of files are needed, got " + source + ", " + files);
        }
        for (String file : files) {
            if (!source.files().contains(file)) {
                throw new IllegalArgumentException(
                        "files: '" + file + "' is not a file of " + source.name() + ": "
                                + source.files());
            }
        }
        if (dataDir != null) {
            return fromDataDir(source, files, dataDir);
        }
        Path system = systemRoot.resolve(source.name());
        if (missing(system, files).isEmpty()) {
            LOG.debug("{}: using system copy in {}", source.name(), system);
            return system;
        }
        Path cache = cacheRoot.resolve(source.name());
        List<String> toFetch = missing(cache, files);
        if (toFetch.isEmpty()) {
            LOG.debug("{}: using cached copy in {}", source.name(), cache);
            return cache;
        }
        if (!source.downloadable()) {
            throw new NoSuchFileException(source.name(), null,
                    "data set not found: looked in " + system + " and " + cache + " for " + files
                            + ". Pass --data-dir DIR with these files" + hint(source, "; to get them, "));
        }
        for (String file : toFetch) {
            download(source, file, cache);
        }
        return cache;
    }

    private Path fromDataDir(DatasetSource source, List<String> files, Path dataDir)
            throws IOException {
        if (missing(dataDir, files).isEmpty()) {
            return dataDir;
        }
        Path nested = dataDir.resolve(source.name());
        if (missing(nested, files).isEmpty()) {
            return nested;
        }
        String there;
        if (!Files.isDirectory(dataDir)) {
            there = "the folder does not exist";
        } else {
            try (Stream<Path> entries = Files.list(dataDir)) {
                List<String> names = entries.map(p -> p.getFileName().toString()).sorted().toList();
                there = names.isEmpty()
                        ? "the folder is empty"
                        : "it holds " + (names.size() > 20
                                ? names.subList(0, 20) + " and " + (names.size() - 20) + " more"
                                : names);
            }
        }
        throw new NoSuchFileException(dataDir.toString(), null,
                "--data-dir lacks " + source.name() + " files " + missing(dataDir, files)
                        + " (needed: " + files + (files.stream().anyMatch(f -> f.endsWith(GZ))
                                ? ", gzipped or not" : "") + "); " + there);
    }

    /**
     * The file {@code name} of a data set in {@code dir}: {@code dir/name} if it is there; for a
     * gzipped file ({@code name} ending in {@code .gz}) that is not, its uncompressed form {@code
     * dir/name-without-.gz} if that is there (people often gunzip MNIST); else {@code dir/name}.
     * The readers accept both forms.
     */
    public static Path fileIn(Path dir, String name) {
        Path file = dir.resolve(name);
        if (!Files.isRegularFile(file) && name.endsWith(GZ)) {
            Path raw = dir.resolve(name.substring(0, name.length() - GZ.length()));
            if (Files.isRegularFile(raw)) {
                return raw;
            }
        }
        return file;
    }

    private static List<String> missing(Path dir, List<String> files) {
        List<String> missing = new ArrayList<>();
        for (String file : files) {
            if (!Files.isRegularFile(fileIn(dir, file))) {
                missing.add(file);
            }
        }
        return missing;
    }

    private void download(DatasetSource source, String file, Path dir) throws IOException {
        URI uri = source.uriOf(file);
        String algorithm = source.algorithmOf(file);
        String expected = source.checksums().get(file).toLowerCase(Locale.ROOT);
        Files.createDirectories(dir);
        Path part = Files.createTempFile(dir, file + ".", ".part");
        try {
            LOG.info("{}: downloading {} to {}", source.name(), uri, dir);
            MessageDigest digest = digest(algorithm);
            try (InputStream in = new DigestInputStream(open(uri), digest);
                    OutputStream out = Files.newOutputStream(part)) {
                in.transferTo(out);
            } catch (IOException e) {
                throw new IOException("could not download " + source.name() + " file " + file
                        + " from " + uri + " (" + e + "). This machine may be offline:"
                        + hint(source, " ") + (OFFLINE_HINTS.containsKey(source.name()) ? ", or"
                        : "") + " pass --data-dir DIR with the files " + source.files(), e);
            }
            String actual = HexFormat.of().formatHex(digest.digest());
            if (!actual.equals(expected)) {
                throw new IOException("checksum mismatch for " + source.name() + " file " + file
                        + " downloaded from " + uri + ": expected " + algorithm + " " + expected
                        + ", got " + actual + "; the download is corrupt or the file changed at"
                        + " its source. Nothing was cached; retry, or pass --data-dir with a"
                        + " verified copy");
            }
            Files.move(part, dir.resolve(file), StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(part);
        }
    }

    private static InputStream open(URI uri) throws IOException {
        URLConnection connection = uri.toURL().openConnection();
        connection.setConnectTimeout(CONNECT_TIMEOUT_MS);
        connection.setReadTimeout(READ_TIMEOUT_MS);
        return connection.getInputStream();
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide " + algorithm, e);
        }
    }

    private static String hint(DatasetSource source, String prefix) {
        String hint = OFFLINE_HINTS.get(source.name());
        return hint == null ? "" : prefix + hint;
    }
}
