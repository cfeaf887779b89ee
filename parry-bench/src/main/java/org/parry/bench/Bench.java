package org.parry.bench;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parry's end-to-end throughput benchmarks.
 *
 * <pre>
 * bench [--quick] [--json FILE] [--threads N] [--points N] [--malloc-tuning] [NAME...]
 *       NAME: sgemm, gradient, memory, training, attack, autoattack, autoattack-robust,
 *             quick-memory, defense-training, query, architectures, spark-scaling, all
 * </pre>
 *
 * Runs the chosen benchmarks (by default, and for {@code all}, every one that does not run only
 * when named: {@code autoattack-robust}) one after the other in this process, prints a table per
 * benchmark and, with {@code --json}, writes every number (medians, spreads, raw repetitions,
 * environment) to FILE. {@code gradient} and {@code training} are reported against the sgemm
 * roofline, so choosing either also runs {@code sgemm} first. {@code --quick} runs fewer, shorter repetitions (smoke test);
 * {@code --threads N} sets PyTorch's intra-op thread count (default: one per core);
 * {@code --points N} sets how many test points {@code autoattack} and {@code autoattack-robust} attack;
 * {@code --malloc-tuning} raises glibc's mmap and trim thresholds ({@link NativeMalloc}).
 * {@code autoattack} and {@code quick-memory} attack a small-cnn trained on Fashion-MNIST, which
 * they train once and keep in {@value TrainedModels#CACHE} ({@link TrainedModels});
 * {@code autoattack-robust} compares Parry's AutoAttack with fra31's Python original on it and on
 * two adversarially trained small-cnn, and needs {@code python3-torch} and fra31's repository
 * ({@link AutoAttackRobustBenchmark}).
 * Run with {@code -Dai.djl.offline=true}: nothing is downloaded.
 */
public final class Bench {

    private static final List<Benchmark> BENCHMARKS = List.of(
            new SgemmBenchmark(), new GradientBenchmark(), new MemoryBenchmark(),
            new TrainingBenchmark(), new AttackBenchmark(), new AutoAttackBenchmark(),
            new AutoAttackRobustBenchmark(), new QuickMemoryBenchmark(),
            new DefenseTrainingBenchmark(), new QueryBenchmark(), new ArchitectureBenchmark(),
            new SparkScalingBenchmark());

    private Bench() {}

    public static void main(String[] args) {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        // DJL warns on every start that there is no usable CUDA driver; expected on CPU machines
        if (System.getProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda") == null) {
            System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda", "error");
        }
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command line; returns the exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        boolean quick = false;
        Path json = null;
        int threads = 0;
        int points = 0;
        boolean mallocTuning = false;
        Set<String> names = new LinkedHashSet<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--quick" -> quick = true;
                case "--malloc-tuning" -> mallocTuning = true;
                case "--json" -> {
                    if (i + 1 >= args.length) {
                        return usage(err, "--json needs a file name");
                    }
                    json = Path.of(args[++i]);
                }
                case "--threads", "--points" -> {
                    String problem = i + 1 >= args.length ? "needs a number" : positive(args[i + 1]);
                    if (problem != null) {
                        return usage(err, arg + " " + problem);
                    }
                    int value = Integer.parseInt(args[++i]);
                    if (arg.equals("--threads")) {
                        threads = value;
                    } else {
                        points = value;
                    }
                }
                case "-h", "--help" -> {
                    usage(out, null);
                    return 0;
                }
                default -> {
                    if (arg.startsWith("-")) {
                        return usage(err, "unknown option '" + arg + "'");
                    }
                    if (!arg.equals("all") && find(arg) == null) {
                        return usage(err, "unknown benchmark '" + arg + "'");
                    }
                    names.add(arg);
                }
            }
        }
        List<Benchmark> chosen = choose(names);

        String malloc = mallocTuning ? NativeMalloc.keepFreedMemory() : "glibc defaults";
        Engine engine = Engine.getInstance();
        if (threads > 0) {
            JniUtils.setNumThreads(threads);
        }
        Map<String, Object> environment = environment(engine, quick);
        environment.put("malloc", malloc);
        String heap = heapSetting();
        environment.put("java_heap", heap);
        out.printf("Parry benchmarks%s: %s %s, %d intra-op / %d inter-op threads, %d cores (%s), "
                        + "Java %s%n",
                quick ? " (--quick)" : "", engine.getEngineName(), engine.getVersion(),
                JniUtils.getNumThreads(), JniUtils.getNumInteropThreads(),
                Runtime.getRuntime().availableProcessors(), environment.get("cpu"),
                System.getProperty("java.version"));
        out.println("Native allocator: " + malloc + "; Java heap: " + heap);
        out.println("Each number: median of the timed repetitions after warm-up, (min..max) and "
                + "spread = (max-min)/median.");

        BenchContext context = new BenchContext(quick, points, out);
        Map<String, Object> results = new LinkedHashMap<>();
        int status = 0;
        for (Benchmark benchmark : chosen) {
            out.println();
            out.println("== " + benchmark.name() + ": " + benchmark.description());
            long start = System.nanoTime();
            CpuShare share = CpuShare.start();
            try {
                Map<String, Object> result = benchmark.run(context);
                result.put("wall_seconds", (System.nanoTime() - start) / 1e9);
                result.put("cpu_share_of_other_processes", share.othersFraction());
                results.put(benchmark.name(), result);
            } catch (Exception | Error e) {
                status = 1;
                err.println("benchmark " + benchmark.name() + " failed: " + e);
                e.printStackTrace(err);
                results.put(benchmark.name(), Map.of("error", String.valueOf(e)));
            }
            double others = share.othersFraction();
            out.printf("  (%.1f s; other processes used %s of the CPUs meanwhile%s)%n",
                    (System.nanoTime() - start) / 1e9,
                    Double.isNaN(others) ? "n/a" : String.format("%.0f%%", 100 * others),
                    others > 0.05 ? " -- numbers are depressed, rerun on a quiet machine" : "");
        }

        if (json != null) {
            Map<String, Object> document = new LinkedHashMap<>();
            document.put("environment", environment);
            document.put("benchmarks", results);
            try {
                Path parent = json.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                        .writeValue(json.toFile(), document);
                out.println();
                out.println("results written to " + json);
            } catch (IOException e) {
                err.println("cannot write " + json + ": " + e.getMessage());
                status = 1;
            }
        }
        return status;
    }

    /** The benchmarks to run, in the fixed order; sgemm is added when gradient needs its roofline. */
    private static List<Benchmark> choose(Set<String> names) {
        boolean all = names.isEmpty() || names.contains("all");
        List<Benchmark> chosen = new ArrayList<>();
        for (Benchmark benchmark : BENCHMARKS) {
            boolean wanted = (all && benchmark.inAll()) || names.contains(benchmark.name())
                    || (benchmark instanceof SgemmBenchmark
                            && (names.contains("gradient") || names.contains("training")));
            if (wanted) {
                chosen.add(benchmark);
            }
        }
        return chosen;
    }

    private static Benchmark find(String name) {
        for (Benchmark benchmark : BENCHMARKS) {
            if (benchmark.name().equals(name)) {
                return benchmark;
            }
        }
        return null;
    }

    /** What is wrong with {@code text} as a number >= 1, or null when nothing is. */
    private static String positive(String text) {
        try {
            return Integer.parseInt(text) >= 1 ? null : "must be >= 1, got " + text;
        } catch (NumberFormatException e) {
            return "needs a number, got '" + text + "'";
        }
    }

    private static int usage(PrintStream stream, String error) {
        if (error != null) {
            stream.println("bench: " + error);
        }
        stream.println("usage: bench [--quick] [--json FILE] [--threads N] [--points N] [--malloc-tuning] [NAME...]");
        stream.println("  --quick      fewer iterations (smoke test)");
        stream.println("  --json FILE  also write machine-readable results to FILE");
        stream.println("  --threads N  PyTorch intra-op threads (default: one per core)");
        stream.println("  --points N   test points of autoattack and autoattack-robust (default: 1000, --quick 100)");
        stream.println("  --malloc-tuning  keep freed native memory for reuse (glibc mallopt), see NativeMalloc");
        stream.println("benchmarks (default all, run in this order):");
        for (Benchmark benchmark : BENCHMARKS) {
            stream.printf("  %-17s %s%s%n", benchmark.name(), benchmark.description(),
                    benchmark.inAll() ? "" : " [only when named]");
        }
        return error == null ? 0 : 2;
    }

    private static Map<String, Object> environment(Engine engine, boolean quick) {
        Map<String, Object> environment = new LinkedHashMap<>();
        environment.put("time", Instant.now().toString());
        environment.put("quick", quick);
        environment.put("engine", engine.getEngineName());
        environment.put("engine_version", engine.getVersion());
        environment.put("intra_op_threads", JniUtils.getNumThreads());
        environment.put("inter_op_threads", JniUtils.getNumInteropThreads());
        environment.put("cores", Runtime.getRuntime().availableProcessors());
        environment.put("cpu", cpuModel());
        environment.put("java", System.getProperty("java.version"));
        environment.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        environment.put("max_heap_bytes", Runtime.getRuntime().maxMemory());
        return environment;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    /**
     * How the Java heap was set up. Memory benchmarks read the resident set size, which counts the
     * heap's touched pages; a heap of fixed size touched in full at start-up ({@code -Xms} =
     * {@code -Xmx} and {@code -XX:+AlwaysPreTouch}, what {@code ./bench} passes) keeps the JVM's
     * resizing out of it, so that RSS growth is native growth.
     */
    private static String heapSetting() {
        List<String> arguments = ManagementFactory.getRuntimeMXBean()
                .getInputArguments();
        String min = null;
        String max = null;
        boolean preTouch = false;
        for (String argument : arguments) {
            if (argument.startsWith("-Xms")) {
                min = argument.substring(4);
            } else if (argument.startsWith("-Xmx")) {
                max = argument.substring(4);
            } else if (argument.equals("-XX:+AlwaysPreTouch")) {
                preTouch = true;
            } else if (argument.equals("-XX:-AlwaysPreTouch")) {
                preTouch = false;
            }
        }
        if (min != null && min.equals(max) && preTouch) {
            return "fixed " + max + ", pre-touched";
        }
        return String.format("resizable (max %.0f MiB): RSS includes the heap's growth; ./bench"
                + " fixes it", ProcessMemory.mib(Runtime.getRuntime().maxMemory()));
    }
}
