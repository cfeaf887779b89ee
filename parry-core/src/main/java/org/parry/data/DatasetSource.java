package org.parry.data;

import java.net.URI;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a data set's files come from: their names, the published checksum of each, and the base
 * address they are downloaded from ({@code baseUri.resolve(fileName)}). The base address is
 * injectable ({@link #withBaseUri}), so a mirror, or a {@code file:} folder in a test, can stand
 * in for the official server.
 *
 * <p>A checksum of 32 hex digits is an MD5, one of 64 a SHA-256. A source without a base address
 * is not downloadable; its files must be provided by the user.
 *
 * @param name the data set's name, also the name of its folder under a system or cache root
 * @param files every file of the data set (all splits)
 * @param checksums file name → hex digest, for every file when {@code baseUri} is set
 * @param baseUri the folder the files are downloaded from (a missing final {@code /} is added),
 *     or null
 */
public record DatasetSource(
        String name, List<String> files, Map<String, String> checksums, URI baseUri) {

    /**
     * Fashion-MNIST (Xiao et al. 2017, arXiv:1708.07747), from the address and with the MD5s that
     * its authors publish.
     */
    public static final DatasetSource FASHION_MNIST = idx(
            "fashion-mnist",
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "25c81989df183df01b3e8a0aad5dffbe",
            "bef4ecab320f06d8554ea6380940ec79",
            "bb300cfdad3c16e7a12a480ee83cd310");

    /** MNIST (LeCun et al. 1998), from its home page and with its published MD5s. */
    public static final DatasetSource MNIST = idx(
            "mnist",
            "http://yann.lecun.com/exdb/mnist/",
            "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "d53e105ee54ea40749a09fcbcd1e9432",
            "9fb629c4189551a2d022fa330f9573f3",
            "ec29112dd5afa0611ce80d1b7f02629c");

    /**
     * CIFAR-10 (Krizhevsky 2009), binary version. Not downloadable: its files come inside one
     * archive, {@code cifar-10-binary.tar.gz}, which the user extracts.
     */
    public static final DatasetSource CIFAR10 = new DatasetSource(
            "cifar10",
            List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                    "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"),
            Map.of(),
            null);

    public DatasetSource {
        if (name == null || name.isBlank() || name.contains("/") || name.contains("\\")) {
            throw new IllegalArgumentException(
                    "name must be a non-blank folder name, got '" + name + "'");
        }
        if (files == null || files.isEmpty()) {
            throw new IllegalArgumentException("files must list at least one file, got " + files);
        }
        files = List.copyOf(files);
        checksums = Map.copyOf(checksums == null ? Map.of() : checksums);
        for (Map.Entry<String, String> entry : checksums.entrySet()) {
            if (!files.contains(entry.getKey())) {
                throw new IllegalArgumentException(
                        "checksums: '" + entry.getKey() + "' is not one of the files " + files);
            }
            String hex = entry.getValue();
            if ((hex.length() != 32 && hex.length() != 64) || !isHex(hex)) {
                throw new IllegalArgumentException("checksums: '" + entry.getKey() + "' has '" + hex
                        + "', expected 32 (MD5) or 64 (SHA-256) hex digits");
            }
        }
        if (baseUri != null) {
            if (baseUri.getQuery() != null || baseUri.getFragment() != null) {
                throw new IllegalArgumentException(
                        "baseUri must be a plain folder address, got " + baseUri);
            }
            if (!baseUri.toString().endsWith("/")) {
                baseUri = URI.create(baseUri + "/");
            }
            for (String file : files) {
                if (!checksums.containsKey(file)) {
                    throw new IllegalArgumentException("checksums: missing for '" + file
                            + "'; every downloadable file needs one");
                }
            }
        }
    }

    /** This source with its files fetched from {@code newBaseUri} instead. */
    public DatasetSource withBaseUri(URI newBaseUri) {
        return new DatasetSource(name, files, checksums, newBaseUri);
    }

    /** Whether the files can be downloaded, i.e. a base address is set. */
    public boolean downloadable() {
        return baseUri != null;
    }

    /** The address of {@code file}. */
    public URI uriOf(String file) {
        if (baseUri == null) {
            throw new IllegalStateException("data set '" + name + "' has no download address");
        }
        return baseUri.resolve(file);
    }

    /** The digest algorithm of {@code file}'s checksum: {@code "MD5"} or {@code "SHA-256"}. */
    public String algorithmOf(String file) {
        String hex = checksums.get(file);
        if (hex == null) {
            throw new IllegalArgumentException("file '" + file + "' has no checksum in " + name);
        }
        return hex.length() == 32 ? "MD5" : "SHA-256";
    }

    private static DatasetSource idx(
            String name,
            String base,
            String trainImages,
            String trainLabels,
            String testImages,
            String testLabels) {
        Map<String, String> checksums = new LinkedHashMap<>();
        checksums.put("train-images-idx3-ubyte.gz", trainImages);
        checksums.put("train-labels-idx1-ubyte.gz", trainLabels);
        checksums.put("t10k-images-idx3-ubyte.gz", testImages);
        checksums.put("t10k-labels-idx1-ubyte.gz", testLabels);
        return new DatasetSource(
                name, List.copyOf(checksums.keySet()), checksums, URI.create(base));
    }

    private static boolean isHex(String text) {
        return text.chars().allMatch(HexFormat::isHexDigit);
    }
}
