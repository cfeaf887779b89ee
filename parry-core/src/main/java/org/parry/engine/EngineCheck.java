package org.parry.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.parry.Versions;
import org.parry.io.AtomicFiles;

/**
 * Whether this machine's engine can be trusted with gradients: the {@link SelfTest} verdict, run
 * once per machine and engine and cached in {@code ~/.cache/parry/engine/KEY.json}, where KEY is a
 * hash of the CPU (model, flags, cores), the OS architecture, the Parry, DJL and libtorch
 * versions and the test's revision. A new CPU or a new libtorch runs the test again; within a
 * process the verdict is computed once.
 *
 * <p>{@link #require()} runs before every gradient collector Parry opens ({@link
 * Backward#collector}); it
 * throws {@link EngineFaultException} when the test failed, unless the engine is trusted anyway
 * ({@link #trustAnyway}, the CLI's {@code --trust-engine}, or the system property {@code
 * parry.engine.trust=true}).
 */
public final class EngineCheck {

    /**
     * The verdict on this machine.
     *
     * @param passed whether every check passed
     * @param worst the check nearest to failing (or the worst failure), in words with its error
     * @param failures how many checks failed
     * @param checks how many checks ran
     * @param seconds how long the test took when it ran
     * @param key the machine and engine key
     * @param cached whether the verdict came from the cache file
     */
    public record Verdict(boolean passed, String worst, int failures, int checks, double seconds,
            String key, boolean cached) {

        /** One line for logs and reports. */
        public String summary() {
            return (passed ? "passed" : "FAILED") + " (" + (checks - failures) + "/" + checks
                    + " checks; worst: " + worst + ")" + (cached ? ", cached" : "");
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static volatile Verdict verdict;
    private static volatile boolean trusted = Boolean.getBoolean("parry.engine.trust");

    private EngineCheck() {}

    /** Goes on even when the self-test fails (the results may then be wrong). */
    public static void trustAnyway(boolean trust) {
        trusted = trust;
    }

    /**
     * Throws when the engine's gradients cannot be trusted on this machine.
     *
     * @throws EngineFaultException naming the failed check and the ways out
     */
    public static void require() {
        Verdict v = verdict();
        if (!v.passed() && !trusted) {
            throw new EngineFaultException("the engine self-test failed on this machine ("
                    + v.worst() + "): gradients from its native kernels are wrong, so attacks"
                    + " would be weak and models would look robust; run 'parry doctor' for the"
                    + " details, use another libtorch build or machine, or pass --trust-engine"
                    + " to go on anyway");
        }
    }

    /** Replaces this process's verdict (null: compute it again), for tests of what a fault does. */
    static synchronized void override(Verdict replacement) {
        verdict = replacement;
    }

    /** The verdict: from this process, else from the cache file, else by running the test. */
    public static synchronized Verdict verdict() {
        if (verdict == null) {
            String key = key();
            Path file = cacheDirectory().resolve(key + ".json");
            verdict = read(file).orElseGet(() -> {
                Verdict fresh = of(SelfTest.run(true), key, false);
                write(file, fresh);
                return fresh;
            });
        }
        return verdict;
    }

    /** The verdict of a test run here and now. */
    public static Verdict of(SelfTest.Result result, String key, boolean cached) {
        SelfTest.Check worst = result.worst();
        return new Verdict(result.passed(), String.format("%s: %.3g, limit %.0e", worst.name(),
                worst.error(), worst.limit()), result.failures().size(), result.checks().size(),
                result.seconds(), key, cached);
    }

    /** The machine and engine key: a hash of the CPU, the architecture and the versions. */
    public static String key() {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("cpu", CpuInfo.model());
        facts.put("flags", CpuInfo.flags());
        facts.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        facts.put("arch", System.getProperty("os.arch"));
        facts.put("parry", Versions.parry());
        facts.put("djl", Versions.djl());
        facts.put("pytorch", Versions.pytorch());
        facts.put("bypass", Boolean.toString(TorchContext.instance().isPresent()));
        facts.put("test", Integer.toString(SelfTest.REVISION));
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256")
                    .digest(facts.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }

    private static Path cacheDirectory() {
        return Path.of(System.getProperty("user.home"), ".cache", "parry", "engine");
    }

    private static Optional<Verdict> read(Path file) {
        try {
            Verdict stored = JSON.readValue(file.toFile(), Verdict.class);
            return Optional.of(new Verdict(stored.passed(), stored.worst(),
                    stored.failures(), stored.checks(), stored.seconds(), stored.key(), true));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // missing or unreadable: run the test again
        }
    }

    /** Best effort: a read-only home only means the test runs again next time. */
    private static void write(Path file, Verdict v) {
        try {
            AtomicFiles.write(file, out -> JSON.writeValue(out, v));
        } catch (IOException | RuntimeException e) {
            // not cached
        }
    }
}
