package org.parry.bench;

import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parry.data.ImageDataset;
import org.parry.eval.AttackOutcome;
import org.parry.eval.Cluster;
import org.parry.eval.ClusterProvider;
import org.parry.eval.EvaluationListener;
import org.parry.eval.EvaluationRunner;
import org.parry.eval.EvaluationSettings;
import org.parry.eval.Evaluator;
import org.parry.eval.Suite;
import org.parry.model.BlockClassifier;
import org.parry.model.ModelSource;
import org.parry.norm.Norm;

/**
 * The same AutoAttack evaluation (standard suite, L∞ ε = {@value #EPSILON}, the first {@code
 * --points} Fashion-MNIST test points, default {@value #POINTS}, {@code --quick} {@value
 * #QUICK_POINTS}) against {@link TrainedModels#smallCnn the cached small-cnn}, side by side in one
 * run: in this process with two libtorch threads, on Spark {@code local[1]} and on Spark {@code
 * local[2]} (one libtorch thread per task); wall times, speed-ups against the local run, and
 * whether the robust accuracies agree (they must: units are seeded by position), after an untimed
 * local warm-up on two points. Then memory: the
 * quick suite over {@value #MEMORY_POINTS} points ({@code --quick}: {@value #QUICK_MEMORY_POINTS})
 * on Spark {@code local[2]}, twice, the process's RSS sampled after every {@value #EVERY} units
 * (in local mode the executors are this JVM); flat when the second pass grows it by less than
 * {@value #FLAT_MIB} MiB beyond the adversarial examples the evaluation keeps by design.
 *
 * <p>In local mode every task runs in this JVM, and parry-spark runs one partition at a time per
 * JVM (PyTorch's one gradient collector per process), so {@code local[2]} measures Spark's
 * overhead and the one-thread-per-task setting rather than two-fold parallelism; a cluster gets
 * its parallelism from its executors' JVMs. Needs parry-spark on the class path (a runtime
 * dependency of parry-bench); runs only when named.
 */
public final class SparkScalingBenchmark implements Benchmark {

    public static final float EPSILON = 0.1f;
    public static final int POINTS = 1000;
    public static final int QUICK_POINTS = 16;
    public static final int MEMORY_POINTS = 10_000;
    public static final int QUICK_MEMORY_POINTS = 200;
    public static final int BATCH = 100;
    public static final int QUICK_BATCH = 8;
    public static final int EVERY = 5;
    public static final double FLAT_MIB = 16;

    @Override
    public String name() {
        return "spark-scaling";
    }

    @Override
    public String description() {
        return "AutoAttack on " + POINTS + " Fashion-MNIST points: local (2 threads) vs Spark"
                + " local[1] vs local[2] (1 thread per task); RSS over " + MEMORY_POINTS
                + " points on Spark";
    }

    @Override
    public boolean inAll() {
        return false;
    }

    @Override
    public Map<String, Object> run(BenchContext context) throws Exception {
        int points = context.points(POINTS, QUICK_POINTS);
        int batch = context.quick() ? QUICK_BATCH : BATCH;
        ImageDataset data = TrainedModels.fashionMnistTest().first(points);
        EvaluationSettings settings = new EvaluationSettings(Suite.parse("autoattack"), Norm.LINF,
                new float[] {EPSILON}, 0, batch);
        Path work = Path.of(TrainedModels.DIRECTORY, "spark-scaling");
        Map<String, Object> json = new LinkedHashMap<>();
        try (BlockClassifier model = TrainedModels.smallCnn(context.out())) {
            ModelSource source = ModelSource.of(TrainedModels.directory("small-cnn"));
            int threads = JniUtils.getNumThreads();
            JniUtils.setNumThreads(2);
            // untimed warm-up: engine self-test, kernels and caches are not the local run's cost
            timed("warm-up", model, data.first(Math.min(2, points)), settings,
                    work.resolve("warm-up"), EvaluationRunner.LOCAL, EvaluationListener.NONE);
            Run local = timed("local, 2 threads", model, data, settings, work.resolve("local"),
                    EvaluationRunner.LOCAL, EvaluationListener.NONE);
            JniUtils.setNumThreads(threads);
            List<Run> runs = new ArrayList<>(List.of(local));
            for (String master : List.of("local[1]", "local[2]")) {
                try (Cluster cluster = ClusterProvider.connect(master, 0)) {
                    runs.add(timed("Spark " + master + ", 1 thread per task", model, data,
                            settings, work.resolve(master.replaceAll("\\W", "")),
                            cluster.runner(source), EvaluationListener.NONE));
                }
            }
            context.out().printf("  AutoAttack, L∞ ε=%s, %d points, batch %d%n", EPSILON, points,
                    batch);
            List<Map<String, Object>> timings = new ArrayList<>();
            for (Run run : runs) {
                context.out().printf("  %-32s %8.1f s  speed-up %.2f  robust accuracy %.4f%n",
                        run.name(), run.seconds(), local.seconds() / run.seconds(), run.robust());
                timings.add(Map.of("runner", run.name(), "seconds", run.seconds(),
                        "speedup", local.seconds() / run.seconds(), "robust_accuracy", run.robust()));
            }
            boolean same = runs.stream().allMatch(run -> run.robust() == local.robust());
            context.out().println("  same robust accuracy everywhere: " + (same ? "yes" : "NO"));
            json.put("points", points);
            json.put("runs", timings);
            json.put("same_numbers", same);
            json.put("memory", memory(context, model, source, work));
        }
        return json;
    }

    private record Run(String name, double seconds, double robust) {}

    private static Run timed(String name, BlockClassifier model, ImageDataset data,
            EvaluationSettings settings, Path directory, EvaluationRunner runner,
            EvaluationListener listener) throws IOException {
        long start = System.nanoTime();
        Evaluator.Run run = new Evaluator(settings, listener, runner).run(model, data, directory,
                false);
        return new Run(name, (System.nanoTime() - start) / 1e9,
                run.results().get(0).robustAccuracy());
    }

    private static Map<String, Object> memory(BenchContext context, BlockClassifier model,
            ModelSource source, Path work) throws IOException {
        int points = context.quick() ? QUICK_MEMORY_POINTS : MEMORY_POINTS;
        ImageDataset data = TrainedModels.fashionMnistTest().first(points);
        EvaluationSettings settings = new EvaluationSettings(Suite.parse("quick"), Norm.LINF,
                new float[] {EPSILON}, 0, context.quick() ? QUICK_BATCH : 250);
        MemoryTrace trace = new MemoryTrace();
        long pixels = data.imageShape().size();
        double[] keptMib = new double[3];
        MemoryTrace.Sample[] ends = new MemoryTrace.Sample[3];
        ends[0] = trace.sample("before");
        try (Cluster cluster = ClusterProvider.connect("local[2]", 0)) {
            for (int pass = 1; pass <= 2; pass++) {
                int current = pass;
                EvaluationListener listener = new EvaluationListener() {
                    private int units;

                    @Override
                    public void onBatch(String attack, int done, int broken) {
                        if (++units % EVERY == 0) {
                            trace.sample("pass " + current + " " + attack + " " + done + " points");
                        }
                    }

                    @Override
                    public void onAttackEnd(AttackOutcome outcome) {
                        keptMib[current] += outcome.broken() * pixels * Float.BYTES / 1048576.0;
                    }
                };
                timed("memory pass " + pass, model, data, settings,
                        work.resolve("memory-" + pass), cluster.runner(source), listener);
                ends[pass] = trace.sample("end of pass " + pass);
            }
        }
        trace.print(context.out());
        MemoryTrace.Growth second = MemoryTrace.growth(ends[1], ends[2]);
        boolean flat = second.flat(FLAT_MIB, keptMib[2]);
        context.out().printf("  memory on Spark local[2], quick suite, %d points: pass 2 %s: %s%n",
                points, second.describe(), flat ? "flat" : "GROWING (over " + FLAT_MIB + " MiB)");
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("points", points);
        json.put("samples", trace.toJson());
        json.put("second_pass_growth", second.toJson());
        json.put("kept_adversarial_mib", keptMib[2]);
        json.put("flat", flat);
        return json;
    }
}
