package org.parry.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import org.parry.attack.Attack;
import org.parry.attack.AttackOptions;
import org.parry.attack.AttackRegistry;
import org.parry.attack.AttackResult;
import org.parry.criterion.Criterion;
import org.parry.criterion.Misclassification;
import org.parry.criterion.TargetedMisclassification;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.io.NpzWriter;
import org.parry.io.OutputPaths;
import org.parry.model.Classifier;
import org.parry.model.InputCheck;
import org.parry.model.Models;
import org.parry.model.NoGradientClassifier;
import org.parry.norm.Norm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code parry attack}: runs one attack from the registry on a data set, batch by batch, and
 * reports clean accuracy, robust accuracy, success rate and perturbation sizes; optionally
 * writes the adversarial examples ({@code adversarial.npz}) and a picture of the first ones
 * ({@code gallery.png}).
 */
@Command(name = "attack", mixinStandardHelpOptions = true,
        description = "Attack a model on a data set: robust accuracy, success rate, perturbation"
                + " sizes; adversarial examples as .npz and a PNG gallery with --out.")
final class AttackCommand implements Callable<Integer> {

    /** How a targeted attack picks each sample's target class. */
    enum TargetMode {
        /** A uniformly random class other than the label, seeded by {@code --seed}. */
        RANDOM("random"),
        /** The class with the lowest clean logit (Kurakin et al.'s "least likely"). */
        LEAST_LIKELY("least-likely"),
        /** The label plus one, modulo the number of classes. */
        NEXT("next");

        final String id;

        TargetMode(String id) {
            this.id = id;
        }

        static TargetMode parse(String text) {
            for (TargetMode mode : values()) {
                if (mode.id.equals(text.trim().toLowerCase(Locale.ROOT))) {
                    return mode;
                }
            }
            throw new IllegalArgumentException("unknown --target-mode '" + text
                    + "'; choose random, least-likely or next");
        }
    }

    @Mixin
    DataOptions data;

    @Option(names = "--model", required = true,
            description = "A saved Parry model directory or a TorchScript .pt file.")
    Path model;

    @Option(names = "--split", defaultValue = "test", description = "train or test (default: ${DEFAULT-VALUE}).")
    String split;

    /** The registry's attack names, for {@code --help}. */
    static final class AttackNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return AttackRegistry.names().iterator();
        }
    }

    @Option(names = "--attack", required = true, completionCandidates = AttackNames.class,
            description = "The attack, by registry name: ${COMPLETION-CANDIDATES}.")
    String attackName;

    @Option(names = "--eps", description = "The perturbation budget ε, in pixel units [0, 1] for linf.")
    Float epsilon;

    @Option(names = "--norm", description = "linf or l2 (default: the attack's own: l2 for fgm and deepfool, as in their papers; linf for the others).")
    String norm;

    @Option(names = "--steps", description = "Iterations (default: the attack's).")
    Integer steps;

    @Option(names = "--targeted", description = "Aim at a target class instead of any wrong class.")
    boolean targeted;

    @Option(names = "--target-mode",
            description = "With --targeted: random (a class != label, seeded), least-likely or next (label + 1) (default: random).")
    String targetMode;

    @Option(names = "--black-box",
            description = "Hide the model's gradients, as if it were a remote API (white-box attacks then refuse it).")
    boolean blackBox;

    @Option(names = "--out", description = "Write adversarial.npz and gallery.png to this directory"
            + " (refused if it holds them, unless --overwrite).")
    Path output;

    @Option(names = "--overwrite", description = "Replace the files of --out and --json if they"
            + " exist.")
    boolean overwrite;

    @Option(names = "--gallery", defaultValue = "16",
            description = "Samples in gallery.png (default: ${DEFAULT-VALUE}).")
    int gallerySize;

    @Option(names = "--json", description = "Write the results as JSON to this file (refused if it"
            + " exists, unless --overwrite).")
    Path json;

    private static final String NPZ = "adversarial.npz";
    private static final String PNG = "gallery.png";

    @Parameters(paramLabel = "NAME.key=value", arity = "0..*",
            description = "Settings of the attack, e.g. pgd.restarts=5 pgd.loss=dlr.")
    List<String> settings = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        TargetMode mode = targetMode(targetMode, targeted);
        Attack attack = AttackRegistry.create(attackName, new AttackOptions(
                norm == null ? null : Norm.parse(norm), epsilon, steps, data.seed,
                PrefixedSettings.parse("attack", attackName, settings)));
        if (gallerySize < 1) {
            throw new IllegalArgumentException("--gallery must be >= 1, got " + gallerySize);
        }
        if (output != null) {
            OutputPaths.checkDirectory("--out", output);
            OutputPaths.checkFile("--out", output.resolve(NPZ), overwrite);
            OutputPaths.checkFile("--out", output.resolve(PNG), overwrite);
        }
        if (json != null) {
            OutputPaths.checkFile("--json", json, overwrite);
        }
        ImageDataset images = data.load(Split.parse(split));
        try (Classifier loaded = Models.load(model, images.imageShape());
                NDManager manager = NDManager.newBaseManager()) {
            Classifier classifier = blackBox
                    ? NoGradientClassifier.of(loaded.name(), loaded.inputShape(), loaded.numClasses(),
                            loaded::logits)
                    : loaded;
            InputCheck.requireCompatible(classifier, images);
            if (classifier.numClasses() != images.numClasses()) {
                throw new IllegalArgumentException("model " + model + " has "
                        + classifier.numClasses() + " classes but " + images.name() + " has "
                        + images.numClasses() + "; attack it on the data set it was trained for");
            }
            AttackTally tally = run(attack, classifier, images, mode, manager);
            PrintStream out = System.out;
            printSummary(out, attack, mode, images, tally);
            if (output != null) {
                Path npz = output.resolve(NPZ);
                Path png = output.resolve(PNG);
                writeNpz(npz, images, tally);
                Gallery.of(title(attack, images), images, tally, gallerySize).write(png);
                out.printf("wrote %s and %s%n", npz, png);
            }
            JsonFile.write(json, toJson(attack, mode, images, tally));
        }
        return 0;
    }

    private AttackTally run(Attack attack, Classifier classifier, ImageDataset images,
            TargetMode mode, NDManager manager) {
        int n = images.size();
        int classes = images.numClasses();
        int[] labels = images.labels();
        int[] targets = mode == null ? null : new int[n];
        if (mode == TargetMode.RANDOM) {
            Random random = new Random(data.seed);
            for (int i = 0; i < n; i++) {
                targets[i] = (labels[i] + 1 + random.nextInt(classes - 1)) % classes;
            }
        } else if (mode == TargetMode.NEXT) {
            for (int i = 0; i < n; i++) {
                targets[i] = (labels[i] + 1) % classes;
            }
        }
        int imageSize = Math.toIntExact(images.imageShape().size());
        AttackTally tally = new AttackTally(labels, targets, imageSize, output != null);
        ProgressBar bar = new ProgressBar("attack", n);
        for (int b = 0; b < images.numBatches(data.batchSize); b++) {
            try (NDManager scope = manager.newSubManager()) {
                Batch batch = images.batchNumber(scope, b, data.batchSize);
                int from = b * data.batchSize;
                int size = batch.size();
                NDArray cleanLogits = classifier.logits(batch.x());
                int[] cleanPrediction = cleanLogits.argMax(1).toType(DataType.INT32, false).toIntArray();
                Criterion criterion;
                if (mode == null) {
                    criterion = new Misclassification(batch.y());
                } else {
                    if (mode == TargetMode.LEAST_LIKELY) {
                        int[] leastLikely = cleanLogits.argMin(1).toType(DataType.INT32, false).toIntArray();
                        System.arraycopy(leastLikely, 0, targets, from, size);
                    }
                    criterion = new TargetedMisclassification(
                            scope.create(Arrays.copyOfRange(targets, from, from + size)), batch.y());
                }
                AttackResult result = attack.run(classifier, batch.x(), criterion);
                float[] confidence = classifier.logits(result.adversarial(scope)).softmax(1)
                        .max(new int[] {1}).toFloatArray();
                tally.add(from, result, cleanPrediction, confidence,
                        output == null ? null : batch.x().toFloatArray());
                bar.update(tally.done, String.format(Locale.ROOT, "success %.1f%%",
                        100 * nanToZero(tally.successRate())));
            }
        }
        return tally;
    }

    private static TargetMode targetMode(String text, boolean targeted) {
        if (!targeted) {
            if (text != null) {
                throw new IllegalArgumentException("--target-mode " + text + " needs --targeted");
            }
            return null;
        }
        return text == null ? TargetMode.RANDOM : TargetMode.parse(text);
    }

    private void printSummary(PrintStream out, Attack attack, TargetMode mode, ImageDataset images,
            AttackTally tally) {
        out.printf("attack %s on %s (%s, %s split, %d images)%s%n", attack.name(), model,
                images.name(), split, tally.done,
                mode == null ? ", untargeted" : ", targeted (" + mode.id + " targets)");
        out.printf("settings: %s%n", describe(attack.settings()));
        line(out, "clean accuracy", String.format(Locale.ROOT, "%.4f  (%d/%d)",
                tally.cleanAccuracy(), tally.cleanCorrect(), tally.done));
        line(out, "robust accuracy", String.format(Locale.ROOT,
                "%.4f ± %.4f  (%d/%d clean-correct and still correct)", tally.robustAccuracy(),
                tally.robustAccuracyStderr(), tally.robust(), tally.done));
        line(out, "adversarial accuracy", String.format(Locale.ROOT,
                "%.4f  (%d/%d correct at x_adv; error rate %.4f)", tally.adversarialAccuracy(),
                tally.adversarialCorrect(), tally.done, 1 - tally.adversarialAccuracy()));
        line(out, mode == null ? "success rate" : "targeted success", String.format(Locale.ROOT,
                "%.4f  (%d/%d %s)", tally.successRate(), tally.successes(),
                tally.successDenominator(), mode == null ? "clean-correct images"
                        : "images whose label is not the target"));
        out.printf("perturbation over the %d successes:%n", tally.successes());
        printStatistic(out, "l2", tally.perturbation(tally.l2));
        printStatistic(out, "linf", tally.perturbation(tally.linf));
        printStatistic(out, "l0", tally.perturbation(tally.l0));
        line(out, "adversarial confidence", String.format(Locale.ROOT,
                "%.4f  (mean probability of the predicted class over the successes)",
                tally.meanAdversarialConfidence()));
        line(out, "cost", String.format(Locale.ROOT, "%d gradients, %d queries, %.1f s",
                tally.gradients, tally.queries, tally.seconds));
    }

    private static void line(PrintStream out, String label, String value) {
        out.printf("%-24s %s%n", label + ":", value);
    }

    private static void printStatistic(PrintStream out, String name, AttackTally.Summary summary) {
        out.printf(Locale.ROOT, "  %-22s median %.4f  mean %.4f  max %.4f%n", name, summary.median(),
                summary.mean(), summary.max());
    }

    private static String describe(Map<String, Object> settings) {
        List<String> parts = new ArrayList<>();
        settings.forEach((key, value) -> parts.add(key + "=" + value));
        return String.join(", ", parts);
    }

    private String title(Attack attack, ImageDataset images) {
        Object eps = attack.settings().get("epsilon");
        Object attackNorm = attack.settings().get("norm");
        return attack.name() + (attackNorm == null ? "" : " " + attackNorm)
                + (eps == null ? "" : " ε=" + eps) + (targeted ? " targeted" : "") + " on "
                + model.getFileName() + " (" + images.name() + " " + split + ")";
    }

    private Map<String, Object> toJson(Attack attack, TargetMode mode, ImageDataset images,
            AttackTally tally) {
        Map<String, Object> attackJson = new LinkedHashMap<>();
        attackJson.put("name", attack.name());
        attackJson.put("settings", attack.settings());
        attackJson.put("targeted", mode != null);
        attackJson.put("target_mode", mode == null ? null : mode.id);
        Map<String, Object> perturbation = new LinkedHashMap<>();
        perturbation.put("l2", tally.perturbation(tally.l2).toJson());
        perturbation.put("linf", tally.perturbation(tally.linf).toJson());
        perturbation.put("l0", tally.perturbation(tally.l0).toJson());
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("model", model.toString());
        results.put("dataset", images.name());
        results.put("split", split);
        results.put("attack", attackJson);
        results.put("black_box", blackBox);
        results.put("n", tally.done);
        results.put("clean_accuracy", tally.cleanAccuracy());
        results.put("robust_accuracy", tally.robustAccuracy());
        results.put("robust_accuracy_stderr", tally.robustAccuracyStderr());
        results.put("adversarial_accuracy", tally.adversarialAccuracy());
        results.put("success_rate", finite(tally.successRate()));
        results.put("success_denominator", tally.successDenominator());
        results.put("successes", tally.successes());
        results.put("perturbation", perturbation);
        results.put("adversarial_confidence", finite(tally.meanAdversarialConfidence()));
        results.put("gradients", tally.gradients);
        results.put("queries", tally.queries);
        results.put("seconds", tally.seconds);
        results.put("seed", data.seed);
        results.put("batch_size", data.batchSize);
        return results;
    }

    private static void writeNpz(Path file, ImageDataset images, AttackTally tally) throws IOException {
        long n = tally.done;
        long[] shape = {n, images.channels(), images.height(), images.width()};
        try (NpzWriter npz = NpzWriter.create(file)) {
            npz.writeFloat32("x_adv", tally.adversarial, shape)
                    .writeFloat32("x_clean", tally.clean, shape)
                    .writeInt64("y", tally.labels, n)
                    .writeInt64("pred_clean", tally.cleanPredictions, n)
                    .writeInt64("pred_adv", tally.adversarialPredictions, n)
                    .writeBool("success", tally.success, n)
                    .writeFloat32("l2", tally.l2, n)
                    .writeFloat32("linf", tally.linf, n)
                    .writeFloat32("l0", tally.l0, n)
                    .writeFloat32("confidence_adv", tally.confidence, n);
            if (tally.targeted()) {
                npz.writeInt64("target", tally.targets, n);
            }
        }
    }

    private static Double finite(double value) {
        return Double.isFinite(value) ? value : null;
    }

    private static double nanToZero(double value) {
        return Double.isNaN(value) ? 0 : value;
    }
}
