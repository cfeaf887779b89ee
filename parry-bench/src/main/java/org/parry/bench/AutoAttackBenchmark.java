package org.parry.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parry.data.ImageDataset;
import org.parry.eval.AttackOutcome;
import org.parry.eval.EpsilonResult;
import org.parry.eval.EvaluationListener;
import org.parry.eval.EvaluationSettings;
import org.parry.eval.Evaluator;
import org.parry.eval.Suite;
import org.parry.model.BlockClassifier;
import org.parry.model.Classifier;
import org.parry.norm.Norm;

/**
 * AutoAttack "standard" (Croce and Hein, ICML 2020: APGD-CE, APGD-T with 9 targets, FAB-T with 9
 * targets, Square with 5000 queries, each on the points still robust) at L∞ ε = {@value #EPSILON}
 * on the first {@value #POINTS} Fashion-MNIST test points ({@code --quick}: {@value #QUICK_POINTS})
 * against {@link TrainedModels#smallCnn a trained small-cnn}, run by the {@link Evaluator} exactly
 * as {@code parry evaluate --suite autoattack} runs it (journal included), in batches of
 * {@value #BATCH}. Reports the total wall time, gradients (images through forward and backward),
 * queries (forward only), each attack's seconds and share of the total, and the clean and robust
 * accuracy after each attack. One run: the cost is minutes, and the robust accuracy is the point.
 * The process's CPU seconds (all threads) are reported next to the wall times: on a busy machine
 * the wall times stretch, and CPU seconds show how much of that is waiting.
 */
public final class AutoAttackBenchmark implements Benchmark {

    public static final int POINTS = 1000;
    public static final int QUICK_POINTS = 100;
    public static final float EPSILON = 0.1f;
    public static final int BATCH = 250;

    @Override
    public String name() {
        return "autoattack";
    }

    @Override
    public String description() {
        return "AutoAttack standard, linf eps=" + EPSILON + ", on " + POINTS
                + " Fashion-MNIST test points vs a trained small-cnn (--quick: " + QUICK_POINTS + ")";
    }

    /**
     * What one AutoAttack-standard evaluation measured.
     *
     * @param run the evaluator's result
     * @param seconds wall time of the whole evaluation (clean predictions and the hypocritical
     *     perturbation included)
     * @param cpuSeconds this process's CPU seconds meanwhile
     * @param attackCpuSeconds each attack's CPU seconds, in suite order
     */
    public record Measured(Evaluator.Run run, double seconds, double cpuSeconds,
            List<Double> attackCpuSeconds) {

        /** The result at the one ε. */
        public EpsilonResult result() {
            return run.results().get(0);
        }

        /** The fraction of points predicted correctly without attack. */
        public double cleanAccuracy() {
            int correct = 0;
            for (int i = 0; i < run.labels().length; i++) {
                correct += run.labels()[i] == run.cleanPredictions()[i] ? 1 : 0;
            }
            return (double) correct / run.labels().length;
        }
    }

    /**
     * Runs AutoAttack-standard at L∞ ε = {@value #EPSILON}, batch {@value #BATCH}, seed 0 on
     * {@code data} with the {@link Evaluator}, as {@code parry evaluate --suite autoattack} does
     * (its journal in a temporary directory, deleted afterwards), printing a line as each attack
     * starts.
     */
    public static Measured evaluate(BenchContext context, Classifier model, ImageDataset data)
            throws IOException {
        EvaluationSettings settings = new EvaluationSettings(Suite.parse("autoattack"), Norm.LINF,
                new float[] {EPSILON}, 0, BATCH);
        List<Double> cpu = new ArrayList<>();
        Path journal = Files.createTempDirectory("parry-bench-autoattack");
        try {
            long start = System.nanoTime();
            double startCpu = cpuSeconds();
            Evaluator.Run run = new Evaluator(settings, progress(context, cpu)).run(model, data,
                    journal, false);
            return new Measured(run, (System.nanoTime() - start) / 1e9, cpuSeconds() - startCpu,
                    cpu);
        } finally {
            QuickMemoryBenchmark.deleteJournal(journal);
        }
    }

    /** One attack's numbers for {@code --json}. */
    public static Map<String, Object> attackJson(AttackOutcome outcome) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("name", outcome.name());
        entry.put("attacked", outcome.attacked());
        entry.put("broken", outcome.broken());
        entry.put("robust_accuracy_after", outcome.robustAccuracy());
        entry.put("gradients", outcome.gradients());
        entry.put("queries", outcome.queries());
        entry.put("seconds", outcome.seconds());
        return entry;
    }

    @Override
    public Map<String, Object> run(BenchContext context) throws Exception {
        int points = context.points(POINTS, QUICK_POINTS);
        ImageDataset data = TrainedModels.fashionMnistTest().first(points);
        Measured measured;
        try (BlockClassifier model = TrainedModels.smallCnn(context.out())) {
            measured = evaluate(context, model, data);
        }
        EpsilonResult result = measured.result();
        double total = measured.seconds();
        double totalCpu = measured.cpuSeconds();
        List<Double> cpu = measured.attackCpuSeconds();
        double clean = measured.cleanAccuracy();

        Table table = new Table("attack", "attacked", "broken", "robust acc after", "gradients",
                "queries", "seconds", "share of time", "CPU seconds");
        List<Map<String, Object>> attacks = new ArrayList<>();
        long gradients = 0;
        long queries = 0;
        double attackSeconds = 0;
        for (int a = 0; a < result.attacks().size(); a++) {
            AttackOutcome outcome = result.attacks().get(a);
            table.row(outcome.name(), outcome.attacked(), outcome.broken(),
                    String.format("%.1f%%", 100 * outcome.robustAccuracy()), outcome.gradients(),
                    outcome.queries(), String.format("%.1f", outcome.seconds()),
                    String.format("%.1f%%", 100 * outcome.seconds() / total),
                    String.format("%.1f", cpu.get(a)));
            gradients += outcome.gradients();
            queries += outcome.queries();
            attackSeconds += outcome.seconds();
            Map<String, Object> entry = attackJson(outcome);
            entry.put("share_of_time", outcome.seconds() / total);
            entry.put("cpu_seconds", cpu.get(a));
            attacks.add(entry);
        }
        double rest = total - attackSeconds;
        table.row("rest", "-", "-", "-", "-", "-", String.format("%.1f", rest),
                String.format("%.1f%%", 100 * rest / total), "-");
        table.print(context.out());
        context.out().println("  rest: clean predictions, hypocritical perturbation, data"
                + " selection, journal writes");
        context.out().printf("  %d points: clean accuracy %.1f%%, robust accuracy %.1f%% (± %.1f),"
                        + " %.1f s (%.1f CPU s), %d gradients, %d queries%n", points, 100 * clean,
                100 * result.robustAccuracy(), 100 * result.standardError(), total, totalCpu,
                gradients, queries);

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", "small-cnn, 1 epoch on Fashion-MNIST (" + TrainedModels.CACHE + ")");
        json.put("points", points);
        json.put("norm", "linf");
        json.put("epsilon", EPSILON);
        json.put("batch", BATCH);
        json.put("seconds", total);
        json.put("cpu_seconds", totalCpu);
        json.put("gradients", gradients);
        json.put("queries", queries);
        json.put("clean_accuracy", clean);
        json.put("robust_accuracy", result.robustAccuracy());
        json.put("attacks", attacks);
        json.put("rest_seconds", rest);
        return json;
    }

    /**
     * Prints one line per attack, so a run of minutes shows where it is, and adds each attack's
     * CPU seconds to {@code cpu}, in suite order.
     */
    private static EvaluationListener progress(BenchContext context, List<Double> cpu) {
        return new EvaluationListener() {
            private double start;

            @Override
            public void onAttackStart(String attack, float epsilon, int total) {
                context.out().printf("  %s on %d still-robust points...%n", attack, total);
                start = cpuSeconds();
            }

            @Override
            public void onAttackEnd(AttackOutcome outcome) {
                cpu.add(cpuSeconds() - start);
            }
        };
    }

    /** CPU time of this process so far, all threads, or NaN where the JVM cannot tell. */
    private static double cpuSeconds() {
        return ProcessHandle.current().info().totalCpuDuration()
                .map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
    }
}
