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
import org.parry.model.Classifier;

/**
 * Input-gradient throughput, the inner loop of every white-box attack: for {@code small-cnn} and
 * {@code madry-cnn} on 1x28x28 inputs, 10 classes, batch 128, it times
 *
 * <ul>
 *   <li>{@code fwd+bwd}: {@code classifier.lossGradient(x, y, CrossEntropyLoss.get())}: forward,
 *       per-sample cross-entropy, backward of the summed loss to the input (parameters frozen);
 *   <li>{@code forward}: {@code classifier.logits(x)} only.
 * </ul>
 *
 * Each call runs in its own sub-manager (the batch is temporarily attached to it) that is
 * closed right after, as an attack step would. Reported: images/s, and achieved GFLOP/s from the
 * analytic count of {@link FlopCounter}: with {@code F} the forward FLOPs of one image (2 FLOPs
 * per multiply-add of every convolution and linear layer),
 *
 * <pre>
 *   fwd+bwd GFLOP/s = batch * 2F / seconds per call / 1e9
 *   forward GFLOP/s = batch *  F / seconds per call / 1e9
 * </pre>
 *
 * and the ratio of each to the sgemm roofline measured earlier in the same run (the runner
 * always runs {@link SgemmBenchmark} first when this benchmark is selected). The target is
 * fwd+bwd of {@code madry-cnn} at 70% or more of the roofline.
 */
public final class GradientBenchmark implements Benchmark {

    /** The models timed, in order. */
    public static final List<String> MODELS = List.of("small-cnn", "madry-cnn");
    public static final int BATCH = 128;
    public static final int CLASSES = 10;
    /** fwd+bwd of madry-cnn should reach this fraction of the sgemm roofline. */
    public static final double TARGET_FRACTION = 0.70;

    @Override
    public String name() {
        return "gradient";
    }

    @Override
    public String description() {
        return "fwd+bwd input gradient and forward-only throughput of small-cnn, madry-cnn "
                + "(batch " + BATCH + ") vs the sgemm roofline";
    }

    @Override
    public Map<String, Object> run(BenchContext context) throws Exception {
        double roofline = context.roofline().orElse(Double.NaN);
        Table table = new Table("model", "pass", "MFLOP/img", "images/s (median, min..max, spread)",
                "GFLOP/s", "% roofline");
        List<Map<String, Object>> results = new ArrayList<>();
        Map<String, Double> gradientFraction = new LinkedHashMap<>();
        List<String> counts = new ArrayList<>();
        for (String model : MODELS) {
            try (BlockClassifier classifier = Models.initialized(model, Models.MNIST, CLASSES, 42);
                    NDManager data = NDManager.newBaseManager()) {
                FlopCounter.Count count = FlopCounter.count(classifier.block(), Models.MNIST);
                counts.add(String.format("%s F = %.2f MFLOP/img (%s)", model,
                        count.forwardFlops() / 1e6, describe(count)));
                NDArray x = data.randomUniform(0f, 1f, new Shape(BATCH).addAll(Models.MNIST));
                NDArray y = data.randomInteger(0, CLASSES, new Shape(BATCH), DataType.INT64);

                Passes passes = time(context, classifier, x, y);
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("model", model);
                entry.put("batch", BATCH);
                entry.put("forward_flops_per_image", count.forwardFlops());
                entry.put("layers", layersJson(count));
                double fraction = addPass(table, entry, "fwd+bwd", model, passes.gradient(),
                        count.inputGradientFlops(), count.forwardFlops(), roofline);
                addPass(table, entry, "forward", model, passes.forward(),
                        count.forwardFlops(), count.forwardFlops(), roofline);
                gradientFraction.put(model, fraction);
                results.add(entry);
            }
        }
        table.print(context.out());
        for (String line : counts) {
            context.out().println("  " + line);
        }
        context.out().println("  FLOPs: conv 2*Cin*k^2*Cout*Hout*Wout, linear 2*in*out, elementwise"
                + " ops not counted; fwd+bwd = 2F per image (forward + backward w.r.t."
                + " activations, parameters frozen), forward = F");
        Double madry = gradientFraction.get("madry-cnn");
        if (madry != null && !madry.isNaN()) {
            context.out().printf("  target: madry-cnn fwd+bwd >= %.0f%% of roofline -> %.1f%% (%s)%n",
                    100 * TARGET_FRACTION, 100 * madry, madry >= TARGET_FRACTION ? "met" : "NOT met");
        }

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("roofline_gflops", roofline);
        json.put("flop_formula", "fwd+bwd = batch*2F, forward = batch*F; F = sum over conv "
                + "(2*Cin*k^2*Cout*Hout*Wout) and linear (2*in*out) layers per image");
        json.put("target_fraction_madry_cnn", TARGET_FRACTION);
        json.put("models", results);
        return json;
    }

    /**
     * The timings of the two passes on one batch.
     *
     * @param gradient seconds per fwd+bwd call
     * @param forward seconds per forward-only call
     */
    public record Passes(Timing.Result gradient, Timing.Result forward) {}

    /**
     * Times {@code classifier.lossGradient(x, y, CrossEntropyLoss.get())} (fwd+bwd) and {@code
     * classifier.logits(x)} (forward) on the batch {@code x, y} with the context's standard
     * timing, each call in its own sub-manager of {@code x}'s, closed right after.
     */
    public static Passes time(BenchContext context, Classifier classifier, NDArray x, NDArray y)
            throws Exception {
        NDManager data = x.getManager();
        Timing.Result gradient = context.timing(10).measure(gradientPass(classifier, x, y));
        Timing.Result forward = context.timing(10).measure(() -> {
            try (NDManager step = data.newSubManager()) {
                step.tempAttachAll(x);
                classifier.logits(x);
            }
        });
        return new Passes(gradient, forward);
    }

    /**
     * One fwd+bwd call, {@code classifier.lossGradient(x, y, CrossEntropyLoss.get())}, in its own
     * sub-manager of {@code x}'s (the batch temporarily attached to it), closed right after.
     */
    public static Timing.Operation gradientPass(Classifier classifier, NDArray x, NDArray y) {
        NDManager data = x.getManager();
        return () -> {
            try (NDManager step = data.newSubManager()) {
                step.tempAttachAll(x, y);
                classifier.lossGradient(x, y, CrossEntropyLoss.get());
            }
        };
    }

    /** Adds one row and its JSON; returns the fraction of the roofline. */
    private static double addPass(Table table, Map<String, Object> entry, String pass, String model,
            Timing.Result result, long flopsPerImage, long forwardFlops, double roofline) {
        Stats images = result.rate(BATCH);
        Stats gflops = result.rate(BATCH * (double) flopsPerImage / 1e9);
        double fraction = gflops.median() / roofline;
        table.row(model, pass, String.format("%.2f", flopsPerImage / 1e6), images.format("%.0f"),
                String.format("%.1f", gflops.median()),
                Double.isNaN(fraction) ? "n/a" : String.format("%.1f%%", 100 * fraction));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("flops_per_image", flopsPerImage);
        json.put("calls_per_repetition", result.opsPerRepetition());
        json.put("ms_per_batch", result.secondsPerOp().scale(1e3).toJson());
        json.put("images_per_second", images.toJson());
        json.put("gflops", gflops.toJson());
        json.put("fraction_of_roofline", fraction);
        entry.put(pass.replace('+', '_'), json);
        return fraction;
    }

    private static String describe(FlopCounter.Count count) {
        StringBuilder text = new StringBuilder();
        for (FlopCounter.Layer layer : count.layers()) {
            text.append(text.length() == 0 ? "" : ", ")
                    .append(String.format("%s %.2f", layer.description(), layer.flops() / 1e6));
        }
        return text.toString();
    }

    private static List<Map<String, Object>> layersJson(FlopCounter.Count count) {
        List<Map<String, Object>> layers = new ArrayList<>();
        for (FlopCounter.Layer layer : count.layers()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("layer", layer.description());
            json.put("flops", layer.flops());
            layers.add(json);
        }
        return layers;
    }
}
