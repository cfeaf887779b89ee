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
 * <p>After {@value #WARMUP} warm-up steps it takes a {@link MemoryTrace} sample at the start,
 * every {@value #EVERY} steps and at the end (resident set size as found and after a trim,
 * native memory in use, live heap), with the images/s since the last one. Memory is called flat
 * when the trimmed RSS, native memory in use and live heap each grew by less than
 * {@value #FLAT_MIB} MiB from the start to the end: every step released its native memory.
 * {@code --quick} runs 200 steps sampled every 50.
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
        MemoryTrace trace = new MemoryTrace();
        List<Double> rates = new ArrayList<>();
        MemoryTrace.Sample start;
        try (BlockClassifier classifier = Models.initialized(MODEL, Models.MNIST, 10, 42);
                NDManager base = NDManager.newBaseManager()) {
            for (int i = 0; i < warmup; i++) {
                step(classifier, base, batchShape);
            }
            start = trace.sample("step 0");
            long intervalStart = System.nanoTime();
            for (int done = 1; done <= steps; done++) {
                step(classifier, base, batchShape);
                if (done % every == 0 || done == steps) {
                    double seconds = (System.nanoTime() - intervalStart) / 1e9;
                    int interval = done % every == 0 ? every : done % every;
                    double rate = interval * BATCH / seconds;
                    rates.add(rate);
                    trace.sample(String.format("step %d (%.0f images/s since last)", done, rate));
                    intervalStart = System.nanoTime();
                }
            }
        }
        trace.print(context.out());
        MemoryTrace.Growth growth = MemoryTrace.growth(start, trace.last());
        boolean flat = growth.flat(FLAT_MIB, 0);
        context.out().printf("  %s over %d steps: %s%n", growth.describe(), steps,
                flat ? "flat" : "GROWING (over " + FLAT_MIB + " MiB)");

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", MODEL);
        json.put("batch", BATCH);
        json.put("steps", steps);
        json.put("warmup_steps", warmup);
        json.put("samples", trace.toJson());
        json.put("images_per_second", rates);
        json.put("growth", growth.toJson());
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
}
