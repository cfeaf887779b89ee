package org.parry.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parry.attack.Fab;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.eval.AttackOutcome;
import org.parry.eval.EpsilonResult;
import org.parry.model.BlockClassifier;
import org.parry.model.Classifier;
import org.parry.model.TorchScriptClassifier;

/**
 * Parry's AutoAttack-standard side by side with the Python original, fra31's AutoAttack (Croce and
 * Hein, ICML 2020), in one job on one machine, on three small-cnn models of Fashion-MNIST: the
 * standard one ({@link TrainedModels#smallCnn}) and the PGD-AT and FGSM-RS ones of the defense
 * table ({@link TrainedModels#defended}, ε = 0.1). For each model:
 *
 * <ol>
 *   <li>The model is exported to TorchScript: Parry writes its weights, {@code
 *       parry-bench/scripts/autoattack_reference.py} rebuilds small-cnn in PyTorch and traces it
 *       ({@link AutoAttackReference}). Parry loads the file back ({@link TorchScriptClassifier})
 *       and compares its logits with the Parry model's on the bench points: the largest absolute
 *       difference is printed, and the benchmark fails above {@value #EXPORT_TOLERANCE} or on any
 *       differing clean prediction.
 *   <li>Parry's AutoAttack-standard (APGD-CE, APGD-T, FAB-T, Square 5000) runs at L∞ ε =
 *       {@value AutoAttackBenchmark#EPSILON}, batch {@value AutoAttackBenchmark#BATCH}, on the
 *       first {@value AutoAttackBenchmark#POINTS} Fashion-MNIST test points ({@code --quick}:
 *       {@value AutoAttackBenchmark#QUICK_POINTS}; {@code --points N}), exactly as {@code ./bench autoattack} runs it
 *       ({@link AutoAttackBenchmark#evaluate}) on the Parry model.
 *   <li>Right after, on the same model, the raw batched time of the work FAB-T and Square did:
 *       fwd+bwd and forward-only images/s ({@link GradientBenchmark#time}) at the size of its
 *       passes (Square: the points it attacked, at most {@value AutoAttackBenchmark#BATCH};
 *       FAB-T: that times the targets it runs together, {@link Fab#wave}), and
 *       {@code raw = gradients / fwd+bwd rate + queries / forward rate}; the attack's seconds over
 *       raw is its overhead (target at most {@value #TARGET_OVERHEAD}). Square queries fewer
 *       points as it breaks them, at a lower rate than the full batch's, so its ratio
 *       overstates its overhead somewhat.
 *   <li>fra31's AutoAttack (version standard, Linf, same ε, batch and points, seed 0) runs on the
 *       TorchScript file in {@code /usr/bin/python3} (PyTorch 1.13 from Debian) with as many
 *       intra-op threads as the JVM's libtorch, as a subprocess. The driver counts gradients and
 *       queries by wrapping the model, times each attack inside AutoAttack's own loop and checks
 *       its counts against AutoAttack's (see the script).
 * </ol>
 *
 * Printed per model: per attack, both sides' seconds, gradients, queries and robust accuracy
 * after it; the attacks' total and the whole run's (Parry: clean predictions and the hypocritical
 * perturbation too; fra31: its checks and clean accuracy too); Parry/fra31 time ratios (target for
 * the robust models: at most {@value #TARGET_RATIO} on the attacks, at an equal or lower robust
 * accuracy); and the share of the CPUs other processes took during each side's run ({@link
 * CpuShare}). Training and export are not timed.
 *
 * <p>Needs {@code python3-torch} (apt) and fra31's repository: see {@link AutoAttackReference}
 * for where it is looked for.
 */
public final class AutoAttackRobustBenchmark implements Benchmark {

    /** The models, in order: the standard one, then the defense table's. */
    public static final List<String> MODELS = List.of("small-cnn", "pgd-at", "fgsm-rs");
    /** Largest allowed |logit difference| between the Parry model and its TorchScript export. */
    public static final double EXPORT_TOLERANCE = 1e-3;
    /** Parry's attack seconds over fra31's on the robust models should be at most this. */
    public static final double TARGET_RATIO = 0.5;
    /** AutoAttack-standard's FAB-T targets. */
    private static final int FAB_T_TARGETS = 9;
    /** FAB-T's and Square's seconds over their raw batched time should be at most this. */
    public static final double TARGET_OVERHEAD = 1.5;
    private static final List<String> RAW_ATTACKS = List.of("fab-t", "square");
    private static final long SEED = 0;

    @Override
    public String name() {
        return "autoattack-robust";
    }

    @Override
    public String description() {
        return "AutoAttack standard, Parry vs fra31's Python original, linf eps="
                + AutoAttackBenchmark.EPSILON + ", on " + AutoAttackBenchmark.POINTS
                + " Fashion-MNIST test points vs standard, PGD-AT and FGSM-RS small-cnn (--quick: "
                + AutoAttackBenchmark.QUICK_POINTS + ")";
    }

    /** It needs Python, PyTorch and fra31's code, and hours at full size. */
    @Override
    public boolean inAll() {
        return false;
    }

    @Override
    public Map<String, Object> run(BenchContext context) throws Exception {
        int points = context.points(AutoAttackBenchmark.POINTS, AutoAttackBenchmark.QUICK_POINTS);
        ImageDataset test = TrainedModels.fashionMnistTest();
        ImageDataset data = test.first(points);
        int threads = JniUtils.getNumThreads();
        AutoAttackReference reference = AutoAttackReference.locate(context.out());
        Path work = TrainedModels.directory("autoattack-robust").toAbsolutePath();
        Files.createDirectories(work);
        Path pointsFile = AutoAttackReference.writePoints(data,
                work.resolve("points-" + points + ".npz"));
        context.out().printf("  fra31's AutoAttack %s, %d threads on both sides%n",
                reference.commit(), threads);

        List<Map<String, Object>> models = new ArrayList<>();
        for (String id : MODELS) {
            context.out().println();
            context.out().println("  -- " + id);
            Path modelWork = work.resolve(id);
            Files.createDirectories(modelWork);
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("model", id);
            try (BlockClassifier model = id.equals("small-cnn")
                    ? TrainedModels.smallCnn(context.out())
                    : TrainedModels.defended(id, context.out())) {
                Path pt = reference.export(model, TrainedModels.directory(id), modelWork);
                json.put("export", checkExport(context, model, pt, data));

                CpuShare parryShare = CpuShare.start();
                AutoAttackBenchmark.Measured parry = AutoAttackBenchmark.evaluate(context, model,
                        data);
                double parryOthers = parryShare.othersFraction();
                List<Map<String, Object>> raw = rawTimes(context, model, test, parry.result());

                context.out().println("  fra31's AutoAttack on " + pt + "...");
                CpuShare fra31Share = CpuShare.start();
                Map<String, Object> fra31 = reference.attack(pt, pointsFile,
                        AutoAttackBenchmark.EPSILON, AutoAttackBenchmark.BATCH, SEED, threads,
                        modelWork);
                double fra31Others = fra31Share.othersFraction();

                json.putAll(compare(context, id, parry, fra31, parryOthers, fra31Others));
                json.put("raw", raw);
                printRaw(context, raw);
            }
            models.add(json);
        }

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("points", points);
        json.put("norm", "linf");
        json.put("epsilon", AutoAttackBenchmark.EPSILON);
        json.put("batch", AutoAttackBenchmark.BATCH);
        json.put("threads", threads);
        json.put("autoattack_commit", reference.commit());
        json.put("target_ratio_robust_models", TARGET_RATIO);
        json.put("target_overhead", TARGET_OVERHEAD);
        json.put("models", models);
        return json;
    }

    /**
     * Compares the Parry model's logits and clean predictions with its TorchScript export's on
     * the bench points.
     *
     * @throws IllegalStateException when they differ by more than {@value #EXPORT_TOLERANCE} or
     *     in any prediction
     */
    private static Map<String, Object> checkExport(BenchContext context, Classifier model, Path pt,
            ImageDataset data) throws Exception {
        double largest = 0;
        int differing = 0;
        try (TorchScriptClassifier exported = TorchScriptClassifier.load(pt, data.imageShape());
                NDManager manager = NDManager.newBaseManager()) {
            for (int b = 0; b < data.numBatches(AutoAttackBenchmark.BATCH); b++) {
                try (NDManager step = manager.newSubManager()) {
                    Batch batch = data.batchNumber(step, b, AutoAttackBenchmark.BATCH);
                    float[] parry = model.logits(batch.x()).toFloatArray();
                    float[] torch = exported.logits(batch.x()).toFloatArray();
                    int classes = model.numClasses();
                    for (int row = 0; row < parry.length / classes; row++) {
                        int parryClass = 0;
                        int torchClass = 0;
                        for (int k = 0; k < classes; k++) {
                            int i = row * classes + k;
                            largest = Math.max(largest, Math.abs(parry[i] - torch[i]));
                            parryClass = parry[i] > parry[row * classes + parryClass] ? k : parryClass;
                            torchClass = torch[i] > torch[row * classes + torchClass] ? k : torchClass;
                        }
                        differing += parryClass == torchClass ? 0 : 1;
                    }
                }
            }
        }
        context.out().printf("  export: %s, max |logit difference| %.2g on %d points, %d clean"
                + " predictions differ%n", pt.getFileName(), largest, data.size(), differing);
        if (largest > EXPORT_TOLERANCE || differing > 0) {
            throw new IllegalStateException("the TorchScript export " + pt + " does not compute the"
                    + " Parry model: max |logit difference| " + largest + " (tolerance "
                    + EXPORT_TOLERANCE + "), " + differing + " differing predictions");
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("file", pt.toString());
        json.put("max_abs_logit_difference", largest);
        json.put("differing_predictions", differing);
        return json;
    }

    /**
     * FAB-T's and Square's raw batched time: the fwd+bwd and forward rates of {@code model} at
     * the size of the attack's passes, and the time their gradients and queries take at those
     * rates. Square's passes hold the m = min(attacked, batch) points of its first call, FAB-T's
     * m times the targets it runs together ({@link Fab#wave}).
     *
     * @param test images to time the passes on (the first ones)
     */
    private static List<Map<String, Object>> rawTimes(BenchContext context, Classifier model,
            ImageDataset test, EpsilonResult result) throws Exception {
        List<Map<String, Object>> raw = new ArrayList<>();
        for (AttackOutcome outcome : result.attacks()) {
            if (!RAW_ATTACKS.contains(outcome.name()) || outcome.attacked() == 0) {
                continue;
            }
            int points = Math.min(outcome.attacked(), AutoAttackBenchmark.BATCH);
            int batchSize = outcome.name().equals("fab-t")
                    ? points * Fab.wave(points, FAB_T_TARGETS) : points;
            GradientBenchmark.Passes passes;
            try (NDManager manager = NDManager.newBaseManager()) {
                Batch batch = test.batch(manager, 0, batchSize);
                passes = GradientBenchmark.time(context, model, batch.x(), batch.y());
            }
            double gradientRate = passes.gradient().rate(batchSize).median();
            double forwardRate = passes.forward().rate(batchSize).median();
            double seconds = outcome.gradients() / gradientRate + outcome.queries() / forwardRate;
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("attack", outcome.name());
            entry.put("attacked", outcome.attacked());
            entry.put("batch", batchSize);
            entry.put("gradients", outcome.gradients());
            entry.put("queries", outcome.queries());
            entry.put("fwd_bwd_images_per_second", passes.gradient().rate(batchSize).toJson());
            entry.put("forward_images_per_second", passes.forward().rate(batchSize).toJson());
            entry.put("raw_seconds", seconds);
            entry.put("seconds", outcome.seconds());
            entry.put("overhead", outcome.seconds() / seconds);
            raw.add(entry);
        }
        return raw;
    }

    private static void printRaw(BenchContext context, List<Map<String, Object>> raw) {
        if (raw.isEmpty()) {
            context.out().println("  raw batched time: FAB-T and Square attacked no point");
            return;
        }
        Table table = new Table("Parry attack", "attacked", "batch", "gradients", "queries",
                "fwd+bwd img/s", "fwd img/s", "raw s", "attack s", "attack / raw");
        for (Map<String, Object> entry : raw) {
            table.row(entry.get("attack"), entry.get("attacked"), entry.get("batch"),
                    entry.get("gradients"), entry.get("queries"),
                    String.format("%.0f", median(entry, "fwd_bwd_images_per_second")),
                    String.format("%.0f", median(entry, "forward_images_per_second")),
                    String.format("%.1f", (double) entry.get("raw_seconds")),
                    String.format("%.1f", (double) entry.get("seconds")),
                    String.format("%.2f", (double) entry.get("overhead")));
        }
        table.print(context.out());
        context.out().printf("  raw = gradients / fwd+bwd rate + queries / forward rate, rates"
                + " measured right after the evaluation at the batch shown; target attack / raw"
                + " <= %.1f%n", TARGET_OVERHEAD);
    }

    @SuppressWarnings("unchecked")
    private static double median(Map<String, Object> entry, String key) {
        return (double) ((Map<String, Object>) entry.get(key)).get("median");
    }

    /** Prints the side-by-side table and returns both sides' numbers and the ratios. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> compare(BenchContext context, String id,
            AutoAttackBenchmark.Measured parry, Map<String, Object> fra31, double parryOthers,
            double fra31Others) {
        List<AttackOutcome> outcomes = parry.result().attacks();
        List<Map<String, Object>> reference = (List<Map<String, Object>>) fra31.get("attacks");
        Table table = new Table("attack", "Parry s", "fra31 s", "Parry gradients",
                "fra31 gradients", "Parry queries", "fra31 queries", "Parry robust after",
                "fra31 robust after");
        double parryAttacks = 0;
        double fra31Attacks = 0;
        List<Map<String, Object>> parryJson = new ArrayList<>();
        for (int a = 0; a < outcomes.size(); a++) {
            AttackOutcome outcome = outcomes.get(a);
            Map<String, Object> theirs = reference.get(a);
            if (!outcome.name().equals(theirs.get("name"))) {
                throw new IllegalStateException("attack " + a + " is " + outcome.name()
                        + " in Parry's suite but " + theirs.get("name") + " in fra31's");
            }
            double seconds = ((Number) theirs.get("seconds")).doubleValue();
            table.row(outcome.name(), String.format("%.1f", outcome.seconds()),
                    String.format("%.1f", seconds), outcome.gradients(), theirs.get("gradients"),
                    outcome.queries(), theirs.get("queries"),
                    percent(outcome.robustAccuracy()),
                    percent(((Number) theirs.get("robust_accuracy_after")).doubleValue()));
            parryAttacks += outcome.seconds();
            fra31Attacks += seconds;
            Map<String, Object> entry = AutoAttackBenchmark.attackJson(outcome);
            entry.put("cpu_seconds", parry.attackCpuSeconds().get(a));
            parryJson.add(entry);
        }
        double fra31Total = ((Number) fra31.get("seconds")).doubleValue();
        double parryRobust = parry.result().robustAccuracy();
        double fra31Robust = ((Number) fra31.get("robust_accuracy")).doubleValue();
        table.row("attacks", String.format("%.1f", parryAttacks),
                String.format("%.1f", fra31Attacks), "", "", "", "", "", "");
        table.row("whole run", String.format("%.1f", parry.seconds()),
                String.format("%.1f", fra31Total), "", "", "", "", percent(parryRobust),
                percent(fra31Robust));
        table.print(context.out());
        double ratio = parryAttacks / fra31Attacks;
        double totalRatio = parry.seconds() / fra31Total;
        boolean robustModel = !id.equals("small-cnn");
        context.out().printf("  clean accuracy: Parry %s, fra31 %s; whole run: Parry adds clean"
                        + " predictions and the hypocritical perturbation, fra31 its checks and"
                        + " clean accuracy%n", percent(parry.cleanAccuracy()),
                percent(((Number) fra31.get("clean_accuracy")).doubleValue()));
        context.out().printf("  Parry / fra31 time: attacks %.2f, whole run %.2f%s%n", ratio,
                totalRatio, robustModel ? String.format("; target attacks <= %.1f at an equal or"
                        + " lower robust accuracy: %s", TARGET_RATIO,
                        ratio <= TARGET_RATIO && parryRobust <= fra31Robust ? "met" : "NOT met")
                        : " (standard model: no target)");
        context.out().printf("  other processes used %s of the CPUs during Parry's run, %s during"
                + " fra31's%n", share(parryOthers), share(fra31Others));

        Map<String, Object> parryResult = new LinkedHashMap<>();
        parryResult.put("seconds", parry.seconds());
        parryResult.put("cpu_seconds", parry.cpuSeconds());
        parryResult.put("clean_accuracy", parry.cleanAccuracy());
        parryResult.put("robust_accuracy", parryRobust);
        parryResult.put("attacks", parryJson);
        parryResult.put("cpu_share_of_other_processes", parryOthers);
        fra31.put("cpu_share_of_other_processes", fra31Others);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("parry", parryResult);
        json.put("fra31", fra31);
        json.put("ratio_attack_seconds", ratio);
        json.put("ratio_whole_run_seconds", totalRatio);
        return json;
    }

    private static String percent(double fraction) {
        return String.format("%.1f%%", 100 * fraction);
    }

    private static String share(double fraction) {
        return Double.isNaN(fraction) ? "n/a" : String.format("%.0f%%", 100 * fraction);
    }
}
