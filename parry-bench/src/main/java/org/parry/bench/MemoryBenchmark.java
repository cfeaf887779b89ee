package org.parry.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.BlockClassifier;

/**
 * Memory stability of the gradient loop: {@value #STEPS} forward+backward steps
 * ({@code lossGradient} with cross-entropy) of {@code small-cnn}, batch 128, each step inside its
 * own {@code try (NDManager step = base.newSubManager())} in which a fresh random batch and labels
 * are created, as an attack would create a new candidate each iteration.
 *
 * <p>After {@value #WARMUP} warm-up steps it samples, at the start, every {@value #EVERY} steps
 * and at the end: the process resident set size ({@code VmRSS} of {@code /proc/self/status},
 * where PyTorch's tensors live) and the JVM heap in use after a {@code System.gc()} request. Flat
 * RSS means every step released its native memory. {@code --quick} runs 200 steps sampled every 50.
 */
public final class MemoryBenchmark implements Benchmark {

    public static final int STEPS = 2000;
    public static final int EVERY = 500;
    public static final int WARMUP = 50;
    public static final int BATCH = 128;
    public static final String MODEL = "small-cnn";
    /** RSS growth over the run below which memory is called flat. */
    public static final double FLAT_MIB = 32;

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public String description() {
        return "RSS and heap over " + STEPS + " fwd+bwd steps of " + MODEL + " (batch " + BATCH
                + "), each in its own sub-manager (--quick: 200)";
    }

    @Override
    public Map<String, Object> run(BenchContext context) throws Exception {
        int steps = context.quick() ? 200 : STEPS;
        int every = context.quick() ? 50 : EVERY;
        int warmup = context.quick() ? 10 : WARMUP;
        Shape batchShape = new Shape(BATCH).addAll(Models.MNIST);
        List<Map<String, Object>> samples = new ArrayList<>();
        Table table = new Table("step", "RSS MiB", "heap used MiB (after gc)", "images/s since last");
        try (BlockClassifier classifier = Models.initialized(MODEL, Models.MNIST, 10, 42);
                NDManager base = NDManager.newBaseManager()) {
            for (int i = 0; i < warmup; i++) {
                step(classifier, base, batchShape);
            }
            long intervalStart = System.nanoTime();
            sample(table, samples, 0, Double.NaN);
            for (int done = 1; done <= steps; done++) {
                step(classifier, base, batchShape);
                if (done % every == 0 || done == steps) {
                    double seconds = (System.nanoTime() - intervalStart) / 1e9;
                    int interval = done % every == 0 ? every : done % every;
                    sample(table, samples, done, interval * BATCH / seconds);
                    intervalStart = System.nanoTime();
                }
            }
        }
        table.print(context.out());
        long startRss = (long) samples.get(0).get("rss_bytes");
        long endRss = (long) samples.get(samples.size() - 1).get("rss_bytes");
        long maxRss = startRss;
        for (Map<String, Object> s : samples) {
            maxRss = Math.max(maxRss, (long) s.get("rss_bytes"));
        }
        double growthMib = ProcessMemory.mib(endRss - startRss);
        boolean flat = Math.abs(growthMib) < FLAT_MIB && ProcessMemory.mib(maxRss - startRss) < FLAT_MIB;
        context.out().printf("  RSS start %.1f MiB -> end %.1f MiB (%+.1f MiB over %d steps, "
                        + "%+.2f KiB/step, max %.1f MiB): %s%n",
                ProcessMemory.mib(startRss), ProcessMemory.mib(endRss), growthMib, steps,
                (endRss - startRss) / 1024.0 / steps, ProcessMemory.mib(maxRss),
                flat ? "flat" : "GROWING (over " + FLAT_MIB + " MiB)");

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", MODEL);
        json.put("batch", BATCH);
        json.put("steps", steps);
        json.put("warmup_steps", warmup);
        json.put("samples", samples);
        json.put("rss_growth_bytes", endRss - startRss);
        json.put("rss_max_bytes", maxRss);
        json.put("flat", flat);
        return json;
    }

    private static void step(BlockClassifier classifier, NDManager base, Shape batchShape) {
        try (NDManager step = base.newSubManager()) {
            NDArray x = step.randomUniform(0f, 1f, batchShape);
            NDArray y = step.randomInteger(0, 10, new Shape(BATCH), DataType.INT64);
            classifier.lossGradient(x, y, CrossEntropyLoss.get());
        }
    }

    private static void sample(Table table, List<Map<String, Object>> samples, int step,
            double imagesPerSecond) {
        long heap = ProcessMemory.liveHeapBytes();
        long rss = ProcessMemory.residentBytes();
        table.row(step, String.format("%.1f", ProcessMemory.mib(rss)),
                String.format("%.1f", ProcessMemory.mib(heap)),
                Double.isNaN(imagesPerSecond) ? "-" : String.format("%.0f", imagesPerSecond));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("step", step);
        json.put("rss_bytes", rss);
        json.put("heap_used_bytes", heap);
        json.put("images_per_second", Double.isNaN(imagesPerSecond) ? null : imagesPerSecond);
        samples.add(json);
    }
}
