package org.parry.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.parry.data.ImageDataset;
import org.parry.eval.AttackOutcome;
import org.parry.eval.EvaluationListener;
import org.parry.eval.EvaluationSettings;
import org.parry.eval.Evaluator;
import org.parry.eval.Suite;
import org.parry.model.BlockClassifier;
import org.parry.norm.Norm;

/**
 * Memory over a long evaluation: the {@code quick} suite (FGSM, PGD-20, APGD-CE) at L∞ ε =
 * {@value #EPSILON} on the first {@value #POINTS} Fashion-MNIST test points ({@code --quick}:
 * {@value #QUICK_POINTS}) against {@link TrainedModels#smallCnn a trained small-cnn}, run by the
 * {@link Evaluator} in batches of {@value #BATCH}, journal included.
 *
 * <p>Samples before the run, after its first batch (warm), every {@value #EVERY} batches, at the
 * end of each attack and after the run: the resident set size ({@code VmRSS}), the RSS again right
 * after glibc's {@code malloc_trim(0)} (freed memory the allocator kept for reuse given back, so
 * what remains is in use), the live heap (after a {@code System.gc()} request), the committed
 * heap, and trimmed RSS minus committed heap ("off-heap": PyTorch's tensors and caches, plus the
 * JVM's own areas). The evaluation keeps, by design, every adversarial example it finds (the
 * report's gallery and sanity checks need them): 4 bytes per pixel of each broken point, reported
 * as "kept". Memory is flat when the trimmed off-heap part grows by less than {@value #FLAT_MIB}
 * MiB from the warm sample to the end and the live heap by less than that plus what was kept.
 */
public final class QuickMemoryBenchmark implements Benchmark {

    public static final int POINTS = 10_000;
    public static final int QUICK_POINTS = 1000;
    public static final float EPSILON = 0.1f;
    public static final int BATCH = 250;
    public static final int EVERY = 5;
    public static final double FLAT_MIB = 32;

    @Override
    public String name() {
        return "quick-memory";
    }

    @Override
    public String description() {
        return "RSS and heap over the quick suite on " + POINTS
                + " Fashion-MNIST test points vs a trained small-cnn (--quick: " + QUICK_POINTS + ")";
    }

    @Override
    public Map<String, Object> run(BenchContext context) throws Exception {
        int points = context.quick() ? QUICK_POINTS : POINTS;
        ImageDataset data = TrainedModels.fashionMnistTest().first(points);
        EvaluationSettings settings = new EvaluationSettings(Suite.parse("quick"), Norm.LINF,
                new float[] {EPSILON}, 0, BATCH);
        List<Map<String, Object>> samples = new ArrayList<>();
        Table table = new Table("when", "RSS MiB", "RSS trimmed MiB", "live heap MiB",
                "committed heap MiB", "off-heap MiB", "trimmed off-heap MiB", "kept MiB");
        long pixels = data.imageShape().size();
        long[] kept = new long[1];
        Evaluator.Run run;
        double seconds;
        try (BlockClassifier model = TrainedModels.smallCnn(context.out())) {
            sample(table, samples, "before", 0);
            EvaluationListener listener = new EvaluationListener() {
                private int batches;

                @Override
                public void onBatch(String attack, int done, int broken) {
                    batches++;
                    if (batches == 1) {
                        sample(table, samples, "warm (" + attack + " batch 1)", kept[0]);
                    } else if (batches % EVERY == 0) {
                        sample(table, samples, attack + " " + done + " points", kept[0]);
                    }
                }

                @Override
                public void onAttackEnd(AttackOutcome outcome) {
                    kept[0] += outcome.broken() * pixels * Float.BYTES;
                    sample(table, samples, "end of " + outcome.name(), kept[0]);
                }
            };
            Path journal = Files.createTempDirectory("parry-bench-memory");
            try {
                long start = System.nanoTime();
                run = new Evaluator(settings, listener).run(model, data, journal, false);
                seconds = (System.nanoTime() - start) / 1e9;
            } finally {
                deleteJournal(journal);
            }
            sample(table, samples, "after", kept[0]);
        }
        table.print(context.out());

        Map<String, Object> warm = samples.get(1);
        Map<String, Object> end = samples.get(samples.size() - 1);
        double offHeapGrowth = mib(end, "trimmed_off_heap_bytes")
                - mib(warm, "trimmed_off_heap_bytes");
        double heapGrowth = mib(end, "live_heap_bytes") - mib(warm, "live_heap_bytes");
        double rssGrowth = mib(end, "rss_bytes") - mib(warm, "rss_bytes");
        double keptMib = ProcessMemory.mib(kept[0]);
        boolean flat = offHeapGrowth < FLAT_MIB && heapGrowth < FLAT_MIB + keptMib;
        context.out().printf("  %d points in %.1f s, robust accuracy %.1f%%%n", points, seconds,
                100 * run.results().get(0).robustAccuracy());
        context.out().printf("  from warm to end: RSS %.1f -> %.1f MiB (%+.1f), trimmed off-heap %+.1f MiB,"
                        + " live heap %+.1f MiB (adversarial examples kept: %.1f MiB): %s%n",
                mib(warm, "rss_bytes"), mib(end, "rss_bytes"), rssGrowth, offHeapGrowth,
                heapGrowth, keptMib, flat ? "flat" : "GROWING (over " + FLAT_MIB + " MiB)");

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", "small-cnn, 1 epoch on Fashion-MNIST (" + TrainedModels.CACHE + ")");
        json.put("suite", "quick");
        json.put("points", points);
        json.put("epsilon", EPSILON);
        json.put("batch", BATCH);
        json.put("seconds", seconds);
        json.put("robust_accuracy", run.results().get(0).robustAccuracy());
        json.put("samples", samples);
        json.put("rss_growth_mib", rssGrowth);
        json.put("off_heap_growth_mib", offHeapGrowth);
        json.put("live_heap_growth_mib", heapGrowth);
        json.put("kept_adversarial_mib", keptMib);
        json.put("flat", flat);
        return json;
    }

    private static void sample(Table table, List<Map<String, Object>> samples, String when,
            long kept) {
        long live = ProcessMemory.liveHeapBytes();
        long committed = Runtime.getRuntime().totalMemory();
        long rss = ProcessMemory.residentBytes();
        NativeMalloc.trim();
        long trimmed = ProcessMemory.residentBytes();
        table.row(when, String.format("%.1f", ProcessMemory.mib(rss)),
                String.format("%.1f", ProcessMemory.mib(trimmed)),
                String.format("%.1f", ProcessMemory.mib(live)),
                String.format("%.1f", ProcessMemory.mib(committed)),
                String.format("%.1f", ProcessMemory.mib(rss - committed)),
                String.format("%.1f", ProcessMemory.mib(trimmed - committed)),
                String.format("%.1f", ProcessMemory.mib(kept)));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("when", when);
        json.put("rss_bytes", rss);
        json.put("rss_trimmed_bytes", trimmed);
        json.put("live_heap_bytes", live);
        json.put("committed_heap_bytes", committed);
        json.put("off_heap_bytes", rss - committed);
        json.put("trimmed_off_heap_bytes", trimmed - committed);
        json.put("kept_adversarial_bytes", kept);
        samples.add(json);
    }

    private static double mib(Map<String, Object> sample, String key) {
        return ProcessMemory.mib((long) sample.get(key));
    }

    /** Removes a benchmark's temporary journal directory. */
    static void deleteJournal(Path directory) throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }
}
