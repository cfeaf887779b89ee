package org.parry.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.parry.Identified;
import org.parry.attack.Attack;
import org.parry.attack.AttackOptions;
import org.parry.attack.AttackRegistry;
import org.parry.attack.TransferAttack;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.defense.StageRegistry;
import org.parry.eval.AttackTally;
import org.parry.eval.DataSetAttack;
import org.parry.eval.DestructionRate;
import org.parry.eval.PerturbationStats;
import org.parry.eval.TargetMode;
import org.parry.io.OutputPaths;
import org.parry.model.BlockClassifier;
import org.parry.model.Classifier;
import org.parry.model.InputCheck;
import org.parry.model.Models;
import org.parry.model.NoGradientClassifier;
import org.parry.model.Pipeline;
import org.parry.model.Stage;
import org.parry.norm.Norm;
import org.parry.report.AttackFiles;
import org.parry.report.AttackSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code parry attack}: runs one attack from the registry on a data set ({@link DataSetAttack})
 * and prints clean accuracy, robust accuracy, success rate and perturbation sizes; optionally
 * writes the adversarial examples ({@code adversarial.npz}), a picture of the first ones
 * ({@code gallery.png}) and the results as JSON ({@link AttackFiles}); with {@code --physical},
 * the destruction rate of photo-like transforms ({@link DestructionRate}).
 */
@Command(name = "attack", mixinStandardHelpOptions = true,
        description = "Attack a model on a data set: robust accuracy, success rate, perturbation"
                + " sizes; adversarial examples as .npz and a PNG gallery with --out. With"
                + " --universal, fit one universal perturbation and measure it on held-out images.")
final class AttackCommand implements Callable<Integer> {

    @Mixin
    DataOptions data;

    @Option(names = "--model", required = true,
            description = "A saved Parry model directory, a TorchScript .pt file or an ONNX .onnx file (query-only).")
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

    @Mixin
    DefendedModelOptions defense;

    @Option(names = "--attack", completionCandidates = AttackNames.class,
            description = "The attack, by registry name: ${COMPLETION-CANDIDATES}.")
    String attackName;

    @Mixin
    UniversalOptions universal;

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

    @Option(names = "--source", paramLabel = "MODEL",
            description = "Craft the attack on this model and judge it on --model, which is then"
                    + " only asked for predictions (a transfer attack); repeat for an ensemble of"
                    + " sources (the loss of their mean logits).")
    List<Path> sources = new ArrayList<>();

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

    /** What a bare {@code --physical} stands for: the paper's table of transforms. */
    private static final String PAPER = "paper";

    @Option(names = "--physical", arity = "0..1", fallbackValue = PAPER, paramLabel = "SPEC",
            description = "After the attack, the destruction rate (Kurakin et al. 2017) of a"
                    + " transform applied to the adversarial images, repeatable: a stage spec,"
                    + " e.g. blur:sigma=2, jpeg:quality=10 or photo; alone (or " + PAPER + "),"
                    + " the paper's table (brightness, contrast, blur, noise, JPEG, affine,"
                    + " colour).")
    List<String> physical;

    @Option(names = "--physical-model", defaultValue = "network",
            description = "What judges the transformed images: network (the model without the"
                    + " --defense stages, which a photograph replaces) or defended (default:"
                    + " ${DEFAULT-VALUE}).")
    String physicalModel;

    @Parameters(paramLabel = "NAME.key=value", arity = "0..*",
            description = "Settings of the attack, e.g. pgd.restarts=5 pgd.loss=dlr.")
    List<String> settings = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (universal.active()) {
            return universal.run(this);
        }
        if (attackName == null) {
            throw new IllegalArgumentException("--attack is required: choose one of "
                    + AttackRegistry.names() + " (or --universal)");
        }
        TargetMode mode = targetMode(targetMode, targeted);
        AttackOptions options = new AttackOptions(norm == null ? null : Norm.parse(norm), epsilon,
                steps, data.seed, PrefixedSettings.parse("attack", attackName, settings));
        Attack attack = sources.isEmpty() ? AttackRegistry.create(attackName, options)
                : AttackRegistry.createForTransfer(attackName, options);
        if (gallerySize < 1) {
            throw new IllegalArgumentException("--gallery must be >= 1, got " + gallerySize);
        }
        if (output != null) {
            OutputPaths.checkDirectory("--out", output);
            OutputPaths.checkFile("--out", output.resolve(AttackFiles.NPZ), overwrite);
            OutputPaths.checkFile("--out", output.resolve(AttackFiles.GALLERY), overwrite);
            OutputPaths.checkFile("--out", output.resolve(AttackFiles.QUERIES), overwrite);
        }
        if (json != null) {
            OutputPaths.checkFile("--json", json, overwrite);
        }
        List<String> transformSpecs = physicalSpecs();
        List<Stage> transforms = new ArrayList<>();
        try {
            for (String spec : transformSpecs) {
                transforms.add(StageRegistry.transform(spec));
            }
            run(attack, mode, transformSpecs, transforms);
        } finally {
            transforms.forEach(Stage::close);
        }
        return 0;
    }

    private void run(Attack attack, TargetMode mode, List<String> transformSpecs,
            List<Stage> transforms) throws Exception {
        ImageDataset images = data.load(Split.parse(split));
        try (Classifier loaded = Models.load(model, images.imageShape());
                LoadedModels sourceModels = LoadedModels.load(sources, images)) {
            Classifier network = defense.lossOf(loaded);
            try (Pipeline pipeline = defense.pipeline(network, data.seed)) {
                Classifier classifier = attacked(network, pipeline, images);
                Attack run = sources.isEmpty() ? attack : TransferAttack.of(attack, sourceModels.list());
                ProgressBar bar = new ProgressBar("attack", images.size());
                boolean keepImages = output != null || physical != null;
                AttackTally tally = new DataSetAttack(run, mode, data.batchSize, data.seed,
                        keepImages).run(classifier, images, (done, successRate) -> bar.update(done,
                                String.format(Locale.ROOT, "success %.1f%%",
                                        100 * (Double.isNaN(successRate) ? 0 : successRate))));
                PrintStream out = System.out;
                printSummary(out, run, mode, images, tally);
                if (network instanceof BlockClassifier block && block.attackLoss() != null) {
                    out.println("attack loss: " + block.attackLoss());
                }
                if (!sources.isEmpty()) {
                    out.printf("transfer from %s (crafted there, judged on %s)%n", sources.stream()
                            .map(Path::toString).collect(Collectors.joining(", ")), model);
                }
                List<DestructionRate> rates = null;
                if (physical != null) {
                    Classifier judge = physicalModel.equals("network") ? network : classifier;
                    rates = DestructionRate.table(judge, tally, transforms, data.batchSize, data.seed);
                    printDestruction(out, transformSpecs, rates);
                }
                AttackSource source = new AttackSource(model, split, blackBox,
                        pipeline == null ? null : pipeline.describe());
                if (output != null) {
                    Path npz = output.resolve(AttackFiles.NPZ);
                    Path png = output.resolve(AttackFiles.GALLERY);
                    AttackFiles.writeNpz(npz, tally);
                    AttackFiles.writeGallery(png, tally, source, gallerySize);
                    out.printf("wrote %s and %s%n", npz, png);
                    if (tally.sampleQueries() != null) {
                        Path chart = output.resolve(AttackFiles.QUERIES);
                        AttackFiles.writeQueryChart(chart, tally);
                        out.printf("wrote %s (success against queries)%n", chart);
                    }
                }
                if (json != null) {
                    AttackFiles.writeJson(json, tally, source, rates, physicalModel);
                }
            }
        }
    }

    /** The specs of {@code --physical}, a bare {@code --physical} standing for the paper's table. */
    private List<String> physicalSpecs() {
        if (!physicalModel.equals("network") && !physicalModel.equals("defended")) {
            throw new IllegalArgumentException("--physical-model must be network or defended, got "
                    + physicalModel);
        }
        if (physical == null && !physicalModel.equals("network")) {
            throw new IllegalArgumentException("--physical-model says what judges the transforms"
                    + " of --physical; give them with --physical [SPEC]");
        }
        List<String> specs = new ArrayList<>();
        if (physical != null) {
            for (String spec : physical) {
                if (spec.equals(PAPER)) {
                    specs.addAll(DestructionRate.PAPER_TRANSFORMS);
                } else if (spec.startsWith(attackName + ".")) {
                    throw new IllegalArgumentException("--physical took the attack's setting '"
                            + spec + "' for a transform; put the attack's settings before"
                            + " --physical");
                } else {
                    specs.add(spec);
                }
            }
        }
        return specs;
    }

    private void printDestruction(PrintStream out, List<String> specs,
            List<DestructionRate> rates) {
        out.printf("destruction rate of each transform T on the %s (Kurakin et al. 2017: successful"
                + " adversarial examples that T turns back to correct; T on x_adv only):%n",
                physicalModel.equals("network") ? "network" : "defended model");
        out.printf("  %-40s %-20s %-20s %s%n", "T", "top-1", "top-5", "accuracy on T(clean)");
        for (int i = 0; i < rates.size(); i++) {
            DestructionRate rate = rates.get(i);
            out.printf(Locale.ROOT, "  %-40s %-20s %-20s %.4f%n", specs.get(i),
                    fraction(rate.rate(), rate.destroyed(), rate.adversarial()),
                    fraction(rate.rateTop5(), rate.destroyedTop5(), rate.adversarialTop5()),
                    rate.transformedCleanAccuracy());
        }
    }

    private static String fraction(double rate, int count, int total) {
        return String.format(Locale.ROOT, "%.4f (%d/%d)", rate, count, total);
    }

    /**
     * The model as the attack sees it: behind --defense's stages, without gradients with
     * --black-box, checked against the data set.
     */
    Classifier attacked(Classifier network, Pipeline pipeline, ImageDataset images) {
        Classifier loaded = pipeline == null ? network : pipeline;
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
        return classifier;
    }

    private static TargetMode targetMode(String text, boolean targeted) {
        if (!targeted) {
            if (text != null) {
                throw new IllegalArgumentException("--target-mode " + text + " needs --targeted");
            }
            return null;
        }
        return text == null ? TargetMode.RANDOM
                : Identified.parse(TargetMode.values(), text, "--target-mode");
    }

    private void printSummary(PrintStream out, Attack attack, TargetMode mode, ImageDataset images,
            AttackTally tally) {
        out.printf("attack %s on %s (%s, %s split, %d images)%s%n", attack.name(), model,
                images.name(), split, tally.size(),
                mode == null ? ", untargeted" : ", targeted (" + mode.id() + " targets)");
        out.printf("settings: %s%n", describe(attack.settings()));
        line(out, "clean accuracy", String.format(Locale.ROOT, "%.4f  (%d/%d)",
                tally.cleanAccuracy(), tally.cleanCorrect(), tally.size()));
        line(out, "robust accuracy", String.format(Locale.ROOT,
                "%.4f ± %.4f  (%d/%d clean-correct and still correct)", tally.robustAccuracy(),
                tally.robustAccuracyStderr(), tally.robust(), tally.size()));
        line(out, "adversarial accuracy", String.format(Locale.ROOT,
                "%.4f  (%d/%d correct at x_adv; error rate %.4f)", tally.adversarialAccuracy(),
                tally.adversarialCorrect(), tally.size(), 1 - tally.adversarialAccuracy()));
        line(out, mode == null ? "success rate" : "targeted success", String.format(Locale.ROOT,
                "%.4f  (%d/%d %s)", tally.successRate(), tally.successes(),
                tally.successDenominator(), mode == null ? "clean-correct images"
                        : "images whose label is not the target"));
        out.printf("perturbation over the %d successes:%n", tally.successes());
        printStatistic(out, "l2", tally.overSuccesses(tally.l2()));
        printStatistic(out, "linf", tally.overSuccesses(tally.linf()));
        printStatistic(out, "l0", tally.overSuccesses(tally.l0()));
        line(out, "adversarial confidence", String.format(Locale.ROOT,
                "%.4f  (mean probability of the predicted class over the successes)",
                tally.meanAdversarialConfidence()));
        line(out, "cost", String.format(Locale.ROOT, "%d gradients, %d queries, %.1f s",
                tally.gradients(), tally.queries(), tally.seconds()));
        if (tally.sampleQueries() != null) {
            PerturbationStats queries = tally.overSuccesses(tally.sampleQueries());
            out.printf(Locale.ROOT, "  %-22s median %.0f  mean %.1f  max %.0f%n",
                    "queries per success", queries.median(), queries.mean(), queries.max());
        }
    }

    private static void line(PrintStream out, String label, String value) {
        out.printf("%-24s %s%n", label + ":", value);
    }

    private static void printStatistic(PrintStream out, String name, PerturbationStats summary) {
        out.printf(Locale.ROOT, "  %-22s median %.4f  mean %.4f  max %.4f%n", name, summary.median(),
                summary.mean(), summary.max());
    }

    private static String describe(Map<String, Object> settings) {
        List<String> parts = new ArrayList<>();
        settings.forEach((key, value) -> parts.add(key + "=" + value));
        return String.join(", ", parts);
    }
}
