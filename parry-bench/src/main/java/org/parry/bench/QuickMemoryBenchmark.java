package org.parry.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
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
 * {@link Evaluator} in batches of {@value #BATCH}, journal included, twice in the same process.
 *
 * <p>{@link MemoryTrace} samples memory before the run, after its first batch (warm), every
 * {@value #EVERY} batches, at the end of each attack and after each pass. The first pass grows
 * while per-shape caches fill: PGD and APGD drop each sample as soon as it is broken, so each
 * step's batch can have a new size, and PyTorch's oneDNN kernels are created and cached per
 * shape (at most one set per batch size up to {@value #BATCH}). The second pass repeats the same
 * work (same seed, so the same shapes), so a leak, which grows with the work done, shows as
 * growth over it, and a cache does not. Memory is called flat when, over the second pass, the
 * trimmed RSS and native memory in use grow by less than {@value #FLAT_MIB} MiB and the live heap
 * by less than that plus the adversarial examples the evaluation keeps by design (4 bytes per
 * pixel of each broken point, for the report's gallery and sanity checks). The RSS numbers mean
 * what they say only with the fixed, pre-touched heap that {@code ./bench} sets up (the bench
 * header says which); with a resizable heap they move by tens of MiB as the JVM grows its young
 * generation, whatever native code does.
 */
public final class QuickMemoryBenchmark implements Benchmark {

    public static final int POINTS = 10_000;
    public static final int QUICK_POINTS = 1000;
    public static final float EPSILON = 0.1f;
    public static final int BATCH = 250;
    public static final int EVERY = 5;
    public static final double FLAT_MIB = 16;

    @Override
    public String name() {
        return "quick-memory";
    }

    @Override
    public String description() {
        return "RSS and native memory over the quick suite on " + POINTS
                + " Fashion-MNIST test points vs a trained small-cnn, twice (--quick: "
                + QUICK_POINTS + ")";
    }

    @Override
    public Map<String, Object> run(BenchContext context) throws Exception {
        int points = context.quick() ? QUICK_POINTS : POINTS;
        ImageDataset data = TrainedModels.fashionMnistTest().first(points);
        EvaluationSettings settings = new EvaluationSettings(Suite.parse("quick"), Norm.LINF,
                new float[] {EPSILON}, 0, BATCH);
        MemoryTrace trace = new MemoryTrace();
        Map<String, Object> json = new LinkedHashMap<>();
        try (BlockClassifier model = TrainedModels.smallCnn(context.out())) {
            MemoryTrace.Sample before = trace.sample("before");
            Pass first = runPass(1, model, data, settings, trace);
            MemoryTrace.Sample firstEnd = trace.last();
            Pass second = runPass(2, model, data, settings, trace);
            MemoryTrace.Sample secondEnd = trace.last();
            trace.print(context.out());

            MemoryTrace.Growth wholeFirst = MemoryTrace.growth(before, firstEnd);
            MemoryTrace.Growth warmFirst = MemoryTrace.growth(first.warm(), firstEnd);
            MemoryTrace.Growth overSecond = MemoryTrace.growth(firstEnd, secondEnd);
            boolean flat = overSecond.flat(FLAT_MIB, second.keptMib());
            context.out().printf("  pass 1: %d points in %.1f s, robust accuracy %.1f%%; pass 2:"
                    + " %.1f s, robust accuracy %.1f%%%n", points, first.seconds(),
                    100 * first.robustAccuracy(), second.seconds(), 100 * second.robustAccuracy());
            context.out().println("  pass 1, " + wholeFirst.describe());
            context.out().println("  pass 1, " + warmFirst.describe() + " (per-shape caches fill)");
            context.out().printf("  pass 2, %s (adversarial examples kept: %.1f MiB): %s%n",
                    overSecond.describe(), second.keptMib(),
                    flat ? "flat" : "GROWING (over " + FLAT_MIB + " MiB)");

            json.put("model", "small-cnn, 1 epoch on Fashion-MNIST (" + TrainedModels.CACHE + ")");
            json.put("suite", "quick");
            json.put("points", points);
            json.put("epsilon", EPSILON);
            json.put("batch", BATCH);
            json.put("seconds", first.seconds());
            json.put("robust_accuracy", first.robustAccuracy());
            json.put("second_pass_seconds", second.seconds());
            json.put("second_pass_robust_accuracy", second.robustAccuracy());
            json.put("samples", trace.toJson());
            json.put("first_pass_growth", wholeFirst.toJson());
            json.put("first_pass_growth_after_warm", warmFirst.toJson());
            json.put("second_pass_growth", overSecond.toJson());
            json.put("kept_adversarial_mib", second.keptMib());
            json.put("flat_limit_mib", FLAT_MIB);
            json.put("flat", flat);
        }
        return json;
    }

    /** One evaluation's timing and outcome, and its first sample after warm-up. */
    private record Pass(double seconds, double robustAccuracy, double keptMib,
            MemoryTrace.Sample warm) {}

    private static Pass runPass(int pass, BlockClassifier model, ImageDataset data,
            EvaluationSettings settings, MemoryTrace trace) throws IOException {
        long pixels = data.imageShape().size();
        long[] kept = new long[1];
        MemoryTrace.Sample[] warm = new MemoryTrace.Sample[1];
        EvaluationListener listener = new EvaluationListener() {
            private int batches;

            @Override
            public void onBatch(String attack, int done, int broken) {
                batches++;
                if (batches == 1) {
                    warm[0] = trace.sample("pass " + pass + " warm (" + attack + " batch 1)");
                } else if (batches % EVERY == 0) {
                    trace.sample("pass " + pass + " " + attack + " " + done + " points");
                }
            }

            @Override
            public void onAttackEnd(AttackOutcome outcome) {
                kept[0] += outcome.broken() * pixels * Float.BYTES;
                trace.sample("pass " + pass + " end of " + outcome.name());
            }
        };
        Path journal = Files.createTempDirectory("parry-bench-memory");
        double seconds;
        double robust;
        try {
            long start = System.nanoTime();
            Evaluator.Run run = new Evaluator(settings, listener).run(model, data, journal, false);
            seconds = (System.nanoTime() - start) / 1e9;
            robust = run.results().get(0).robustAccuracy();
        } finally {
            deleteJournal(journal);
        }
        trace.sample("after pass " + pass);
        return new Pass(seconds, robust, ProcessMemory.mib(kept[0]), warm[0]);
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
