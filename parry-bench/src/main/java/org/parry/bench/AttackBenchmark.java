package org.parry.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parry.attack.AttackOptions;
import org.parry.attack.AttackRegistry;
import org.parry.attack.AttackResult;
import org.parry.criterion.Misclassification;
import org.parry.loss.LogitLoss;
import org.parry.model.BlockClassifier;
import org.parry.model.Classifier;
import org.parry.model.ForwardingClassifier;
import org.parry.model.LossGradient;
import org.parry.norm.Norm;

/**
 * Attack overhead, measured side by side with the raw pass it is built on:
 * <ul>
 *   <li>PGD-40 (L∞, ε = 1e-4 on a fresh model and its own predictions as labels, so no sample
 *       is broken, per-sample early stop never triggers, and all 40 steps run) on
 *       {@code small-cnn} and {@code madry-cnn} at batch 256: images × steps per second, against
 *       the fwd+bwd rate of {@code lossGradient} at the same batch measured in the same run;
 *       overhead = 1 - attack rate / raw rate (target ≤ 10%);
 *   <li>C&W-L2 with 9 binary steps × 1000 iterations on 100 images of {@code small-cnn}
 *       ({@code --quick}: 3 × 300), without early abort so that every binary step runs all its
 *       iterations on all 100 images: seconds, gradients, and a {@link MemoryTrace} sample
 *       at the start, as each binary step starts and at the end. Memory is called flat when,
 *       from the start of the second binary step to the end, the trimmed RSS, native memory
 *       in use and live heap grow by less than {@value #FLAT_MIB} MiB; the first binary step is
 *       left out because memory rises while glibc's arenas, oneDNN's kernels and the JIT warm up.
 * </ul>
 */
public final class AttackBenchmark implements Benchmark {

    private static final int BATCH = 256;
    private static final int STEPS = 40;
    /** Growth after the first C&W binary step (MiB) below which memory is called flat. */
    private static final double FLAT_MIB = 16;

    @Override
    public String name() {
        return "attack";
    }

    @Override
    public String description() {
        return "PGD-40 throughput vs raw fwd+bwd (batch " + BATCH + "), C&W-L2 9x1000 on 100 images"
                + " (--quick: 3x300) with memory per binary step";
    }

    @Override
    public Map<String, Object> run(BenchContext context) throws Exception {
        Table table = new Table("model", "raw fwd+bwd images/s", "PGD-40 images*steps/s", "overhead");
        List<Map<String, Object>> pgd = new ArrayList<>();
        for (String model : GradientBenchmark.MODELS) {
            try (BlockClassifier classifier = Models.initialized(model, Models.MNIST, 10, 42);
                    NDManager data = NDManager.newBaseManager()) {
                NDArray x = data.randomUniform(0f, 1f, new Shape(BATCH).addAll(Models.MNIST));
                NDArray y = classifier.logits(x).argMax(1).toType(DataType.INT64, false);
                Timing.Result raw = context.timing(3)
                        .measure(GradientBenchmark.gradientPass(classifier, x, y));
                var attack = AttackRegistry.create("pgd", new AttackOptions(Norm.LINF, 1e-4f,
                        STEPS, 0, Map.of("randomStart", "false")));
                Timing.Result attacked = context.timing(1).measure(() -> {
                    AttackResult result = attack.run(classifier, x, new Misclassification(y));
                    if (result.gradients() != (long) BATCH * STEPS) {
                        throw new IllegalStateException("PGD stopped early: " + result.gradients()
                                + " gradients; the benchmark needs every sample to stay robust");
                    }
                });
                double rawRate = raw.rate(BATCH).median();
                double attackRate = attacked.rate((double) BATCH * STEPS).median();
                double overhead = 1 - attackRate / rawRate;
                table.row(model, String.format("%.0f", rawRate), String.format("%.0f", attackRate),
                        String.format("%.1f%%", 100 * overhead));
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("model", model);
                entry.put("raw_images_per_second", raw.rate(BATCH).toJson());
                entry.put("pgd40_image_steps_per_second", attacked.rate((double) BATCH * STEPS).toJson());
                entry.put("overhead", overhead);
                pgd.add(entry);
            }
        }
        table.print(context.out());
        context.out().println("  target: PGD overhead <= 10% of the raw fwd+bwd rate");

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("pgd", pgd);
        json.put("cw_l2", carliniWagnerMemory(context));
        return json;
    }

    private static Map<String, Object> carliniWagnerMemory(BenchContext context) {
        int binarySteps = context.quick() ? 3 : 9;
        int steps = context.quick() ? 300 : 1000;
        Map<String, Object> cw = new LinkedHashMap<>();
        try (BlockClassifier classifier = Models.initialized("small-cnn", Models.MNIST, 10, 42);
                NDManager data = NDManager.newBaseManager()) {
            NDArray x = data.randomUniform(0f, 1f, new Shape(100).addAll(Models.MNIST));
            NDArray y = classifier.logits(x).argMax(1).toType(DataType.INT64, false);
            var attack = AttackRegistry.create("cw-l2", new AttackOptions(Norm.L2, null, steps, 0,
                    Map.of("binarySteps", Integer.toString(binarySteps), "abortEarly", "false")));
            MemoryTrace trace = new MemoryTrace();
            MemoryTrace.Sample start = trace.sample("start");
            BinaryStepProbe probe = new BinaryStepProbe(classifier, steps, trace);
            long begin = System.nanoTime();
            AttackResult result = attack.run(probe, x, new Misclassification(y));
            double seconds = (System.nanoTime() - begin) / 1e9;
            MemoryTrace.Sample end = trace.sample("end");
            MemoryTrace.Sample afterFirst = probe.afterFirstBinaryStep == null ? start
                    : probe.afterFirstBinaryStep;
            MemoryTrace.Growth growth = MemoryTrace.growth(afterFirst, end);
            boolean flat = growth.flat(FLAT_MIB, 0);
            context.out().printf("C&W-L2 %d x %d on 100 images (small-cnn): %.1f s, %d gradients,"
                    + " %d/100 succeeded%n", binarySteps, steps, seconds, result.gradients(),
                    result.successes());
            trace.print(context.out());
            context.out().printf("  %s: %s%n", growth.describe(),
                    flat ? "flat" : "GROWING (over " + FLAT_MIB + " MiB)");
            cw.put("binary_steps", binarySteps);
            cw.put("steps", steps);
            cw.put("seconds", seconds);
            cw.put("gradients", result.gradients());
            cw.put("successes", result.successes());
            cw.put("samples", trace.toJson());
            cw.put("whole_run_growth", MemoryTrace.growth(start, end).toJson());
            cw.put("growth_after_first_binary_step", growth.toJson());
            cw.put("flat_limit_mib", FLAT_MIB);
            cw.put("flat", flat);
        }
        return cw;
    }

    /**
     * The benchmark's model, sampling memory as each C&amp;W binary step starts: without early
     * abort every binary step makes exactly {@code steps} gradient calls, so call k · steps + 1
     * opens binary step k + 1.
     */
    private static final class BinaryStepProbe extends ForwardingClassifier {
        private final int steps;
        private final MemoryTrace trace;
        private MemoryTrace.Sample afterFirstBinaryStep;
        private long calls;

        BinaryStepProbe(Classifier model, int steps, MemoryTrace trace) {
            super(model);
            this.steps = steps;
            this.trace = trace;
        }

        @Override
        public LossGradient lossGradient(NDArray x, NDArray labels, LogitLoss loss) {
            if (calls % steps == 0 && calls > 0) {
                MemoryTrace.Sample sample = trace.sample(
                        "binary step " + (calls / steps + 1) + " starts");
                if (afterFirstBinaryStep == null) {
                    afterFirstBinaryStep = sample;
                }
            }
            calls++;
            return model.lossGradient(x, labels, loss);
        }
    }
}
