package org.parry.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
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
     * @param passed whether every check passed, the way Parry computes gradients here
     * @param bypassOneDnn whether backward passes bypass oneDNN here (because oneDNN's own
     *     backward failed the test)
     * @param worst the check nearest to failing (or the worst failure), in words with its error
     * @param failures how many checks failed
     * @param checks how many checks ran
     * @param oneDnnFailure when bypassed, the worst failure of oneDNN's own backward; else null
     * @param seconds how long the test took when it ran
     * @param key the machine and engine key
     * @param cached whether the verdict came from the cache file
     */
    public record Verdict(boolean passed, boolean bypassOneDnn, String worst, int failures,
            int checks, String oneDnnFailure, double seconds, String key, boolean cached) {

        /** One line for logs and reports. */
        public String summary() {
            return (passed ? "passed" : "FAILED") + " (" + (checks - failures) + "/" + checks
                    + " checks; worst: " + worst + ")"
                    + (bypassOneDnn ? "; backward passes bypass oneDNN, whose own failed here ("
                            + oneDnnFailure + ")" : "")
                    + (cached ? ", cached" : "");
        }

        Verdict asCached() {
            return new Verdict(passed, bypassOneDnn, worst, failures, checks, oneDnnFailure,
                    seconds, key, true);
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

    /** Whether backward passes bypass oneDNN on this machine (computes the verdict if needed). */
    public static boolean bypassOneDnn() {
        return verdict().bypassOneDnn();
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
                Verdict fresh = measure(key);
                write(file, fresh);
                return fresh;
            });
        }
        return verdict;
    }

    /**
     * Runs the test on libtorch's default kernels; if they fail and oneDNN can be switched off,
     * runs it again with backward passes bypassing oneDNN, and keeps that way if it passes. So a
     * machine whose kernels are right keeps oneDNN's speed, and one whose oneDNN backward is
     * wrong gets right gradients (training there is slower: libtorch's own weight-gradient
     * kernels are).
     */
    private static Verdict measure(String key) {
        SelfTest.Result native_ = SelfTest.run(false);
        if (native_.passed() || TorchContext.instance().isEmpty()) {
            return of(native_, null, key);
        }
        return of(SelfTest.run(true), native_, key);
    }

    /**
     * The verdict of test runs made here and now.
     *
     * @param used the run as Parry computes gradients
     * @param oneDnn the failed run on oneDNN's own backward when {@code used} bypasses it, else
     *     null
     */
    public static Verdict of(SelfTest.Result used, SelfTest.Result oneDnn, String key) {
        return new Verdict(used.passed(), used.bypassOneDnn(), describe(used.worst()),
                used.failures().size(), used.checks().size(),
                oneDnn == null ? null : describe(oneDnn.worst()),
                used.seconds() + (oneDnn == null ? 0 : oneDnn.seconds()), key, false);
    }

    private static String describe(SelfTest.Check check) {
        return String.format(Locale.ROOT, "%s: %.3g, limit %.0e", check.name(), check.error(),
                check.limit());
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
        facts.put("switchable", Boolean.toString(TorchContext.instance().isPresent()));
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
            return Optional.of(JSON.readValue(file.toFile(), Verdict.class).asCached());
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
