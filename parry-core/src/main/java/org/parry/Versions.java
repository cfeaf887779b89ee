package org.parry;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The versions of Parry and of the engine it was built against, for provenance. */
public final class Versions {

    private static final Properties PROPERTIES = load();

    private Versions() {}

    /** Parry's own version, e.g. {@code 0.1.0-SNAPSHOT}. */
    public static String parry() {
        return PROPERTIES.getProperty("parry.version", "unknown");
    }

    /** The DJL version Parry was built against. */
    public static String djl() {
        return PROPERTIES.getProperty("djl.version", "unknown");
    }

    /** The libtorch version of the PyTorch engine. */
    public static String pytorch() {
        return PROPERTIES.getProperty("pytorch.version", "unknown");
    }

    /** The running Java version. */
    public static String java() {
        return System.getProperty("java.version");
    }

    private static Properties load() {
        Properties properties = new Properties();
        try (InputStream in = Versions.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read Parry's version.properties", e);
        }
        return properties;
    }
}
