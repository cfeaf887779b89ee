package org.parry.experiments;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.parry.attack.Attack;
import org.parry.attack.AttackOptions;
import org.parry.attack.AttackRegistry;
import org.parry.data.Batch;
import org.parry.data.DataSets;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.detect.CalibratedDetector;
import org.parry.detect.DetectionEvaluation;
import org.parry.detect.DetectionResult;
import org.parry.detect.DetectionSummary;
import org.parry.detect.DetectorRegistry;
import org.parry.detect.FitData;
import org.parry.detect.Guard;
import org.parry.io.AtomicFiles;
import org.parry.model.BlockClassifier;
import org.parry.model.SavedModel;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.norm.Norm;
import org.parry.train.TrainingRecipe;

/**
 * Regenerates docs/detectors.md, the detection survey's small experiment (methods §4.8): on MNIST
 * and Fashion-MNIST, a small CNN; every registered detector fitted on clean training images (the
 * supervised ones also on FGSM examples of them, so that C&amp;W and DeepFool are attacks they
 * never saw) and thresholded at 5% FPR on the training images after those; then every detector
 * against FGSM, PGD-20, C&amp;W-L2 and DeepFool crafted on the classifier (oblivious), and
 * against PGD-20 on classifier and detector together (adaptive), on the test images.
 *
 * <pre>
 * detector-table [--work DIR] [--out FILE] [--mnist DIR] [--test N] [--page-only] [SET...]
 *   SET: mnist, fashion-mnist (default: both; mnist needs --mnist DIR)
 * </pre>
 * The model and the fitted detectors are cached in the work directory, and each data set's
 * results are written as soon as they are measured.
 */
public final class DetectorTable {

    /** The command that regenerates docs/detectors.md, as the page names it. */
    public static final String COMMAND = "./detector-table --mnist ../shared/data/mnist";

    /** Training images the detectors are fitted on, and the ones after them that set θ. */
    static final int FIT_IMAGES = 5000;
    static final int VALIDATION_IMAGES = 1000;
    /** Of the fitting images, how many the training attack (FGSM) crafts examples of. */
    static final int ATTACKED_IMAGES = 2000;
    static final double FPR = 0.05;
    /** The classifier's dropout before its last layer, the survey's MNIST CNN's (for BU). */
    static final float DROPOUT = 0.3f;
    static final int BATCH = 100;

    private final Arguments arguments;
    private final PrintStream log;

    private DetectorTable(Arguments arguments, PrintStream log) {
        this.arguments = arguments;
        this.log = log;
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        Arguments arguments = Arguments.parse(args);
        try {
            new DetectorTable(arguments, System.err).run();
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("detector-table: " + e.getMessage());
            System.exit(2);
        }
    }

    /** The L∞ budget per data set: the survey's PGD ε on MNIST, methods §4.8's on Fashion-MNIST. */
    static float epsilon(String dataset) {
        return dataset.equals("mnist") ? 0.25f : 0.1f;
    }

    private void run() throws IOException {
        Path resultsFile = DefenseTable.resultsFile(arguments.out());
        DetectorResults results = DetectorResults.read(resultsFile);
        for (String dataset : arguments.sets()) {
            if (dataset.equals("mnist") && arguments.mnist() == null) {
                log.println("mnist: skipped (give --mnist DIR with the original MNIST files)");
                continue;
            }
            results = results.with(measure(dataset, results.sets().get(dataset)));
            results.write(resultsFile);
            AtomicFiles.writeString(arguments.out(), DetectorPage.render(results, COMMAND));
            log.println("wrote " + arguments.out());
        }
        AtomicFiles.writeString(arguments.out(), DetectorPage.render(results, COMMAND));
    }

    /**
     * Measures one data set; a detector whose fitted card and whose attacks are those of {@code
     * previous} keeps its numbers from there, so that a change to one detector re-measures only
     * that one.
     */
    private DetectorResults.DataSetResult measure(String dataset,
            DetectorResults.DataSetResult previous) throws IOException {
        Path data = dataset.equals("mnist") ? arguments.mnist() : null;
        Path work = arguments.work().resolve(dataset);
        TrainingRecipe recipe = new TrainingRecipe("small-cnn",
                ArchitectureOptions.DEFAULT.withDropout(DROPOUT),
                "standard", null, Map.of(), dataset, 20000, 2, 0, false);
        Path modelDir = work.resolve("model");
        if (!Files.isRegularFile(modelDir.resolve(SavedModel.CARD_FILE))) {
            log.println(dataset + ": training " + recipe.describe());
            recipe.train(modelDir, data);
        }
        ImageDataset train = DataSets.load(dataset, data, Split.TRAIN);
        ImageDataset test = DataSets.load(dataset, data, Split.TEST).first(arguments.test());
        ImageDataset fitting = train.first(FIT_IMAGES);
        ImageDataset validation = train.select(IntStream.range(FIT_IMAGES,
                FIT_IMAGES + VALIDATION_IMAGES).toArray());
        float epsilon = epsilon(dataset);
        try (BlockClassifier model = SavedModel.load(modelDir)) {
            List<CalibratedDetector> detectors = new ArrayList<>();
            try {
                FitData supervised = null;
                for (String name : DetectorRegistry.names()) {
                    Path dir = work.resolve("detectors").resolve(name);
                    if (!Files.isRegularFile(dir.resolve(CalibratedDetector.CARD_FILE))) {
                        FitData fit = FitData.clean(model, fitting, 0);
                        if (DetectorRegistry.entry(name).supervised()) {
                            if (supervised == null) {
                                supervised = FitData.withAttacks(model, fitting, List.of(
                                        attack("fgsm", epsilon)), ATTACKED_IMAGES, BATCH, 0);
                            }
                            fit = supervised;
                        }
                        log.println(dataset + ": fitting " + name);
                        try (CalibratedDetector fitted = CalibratedDetector.fit(name, fit,
                                Map.of(), validation, FPR, BATCH)) {
                            Files.createDirectories(dir);
                            fitted.save(dir);
                        }
                    }
                    detectors.add(CalibratedDetector.load(dir, model));
                }
                List<Attack> oblivious = List.of(attack("fgsm", epsilon), attack("pgd", epsilon),
                        minimumNorm("cw-l2"), minimumNorm("deepfool"));
                List<Attack> adaptive = List.of(attack("pgd", epsilon));
                Map<String, Map<String, Object>> attacks = new LinkedHashMap<>();
                for (Attack attack : oblivious) {
                    attacks.put(attack.name(), attack.settings());
                }
                List<DetectionResult> kept = new ArrayList<>();
                List<CalibratedDetector> todo = new ArrayList<>();
                for (CalibratedDetector detector : detectors) {
                    List<DetectionResult> reused = reusable(previous, detector.card(),
                            test.size(), epsilon, attacks);
                    kept.addAll(reused);
                    if (reused.isEmpty()) {
                        todo.add(detector);
                    } else {
                        log.println(dataset + ": " + detector.card().detector()
                                + ": numbers kept from the previous run");
                    }
                }
                int cleanImages = previous == null ? 0 : previous.summary().cleanImages();
                if (!todo.isEmpty()) {
                    DetectionSummary fresh = new DetectionEvaluation(model, todo,
                            DetectionEvaluation.Settings.defaults(),
                            line -> log.println(dataset + ": " + line)).run(test, oblivious,
                            adaptive);
                    kept.addAll(fresh.results());
                    cleanImages = fresh.cleanImages();
                }
                List<String> order = detectors.stream().map(d -> d.card().detector()).toList();
                kept.sort(Comparator.comparingInt(r -> order.indexOf(r.detector())));
                DetectionSummary summary = new DetectionSummary(FPR, cleanImages,
                        detectors.stream().map(CalibratedDetector::card).toList(), kept);
                double forward = millisPerImage(test, x -> model.logits(x));
                Guard guard = new Guard(model, detectors);
                double guarded = millisPerImage(test, guard::predict);
                return new DetectorResults.DataSetResult(dataset, recipe.describe(),
                        accuracy(model, test), test.size(), epsilon, attacks, FIT_IMAGES,
                        forward, guarded, summary);
            } finally {
                detectors.forEach(CalibratedDetector::close);
            }
        }
    }

    /** The previous numbers of a detector fitted as {@code card}, on the same test and attacks. */
    private static List<DetectionResult> reusable(DetectorResults.DataSetResult previous,
            CalibratedDetector.Card card, int testImages, float epsilon,
            Map<String, Map<String, Object>> attacks) throws IOException {
        if (previous == null || previous.testImages() != testImages
                || previous.epsilon() != epsilon
                || !SavedModel.json().writeValueAsString(previous.attacks())
                        .equals(SavedModel.json().writeValueAsString(attacks))) {
            return List.of();
        }
        boolean same = previous.summary().detectors().stream().anyMatch(c ->
                c.detector().equals(card.detector()) && c.createdAt().equals(card.createdAt())
                        && c.threshold() == card.threshold());
        return same ? previous.summary().results().stream()
                .filter(r -> r.detector().equals(card.detector())).toList() : List.of();
    }

    private static Attack attack(String name, float epsilon) {
        return AttackRegistry.create(name, new AttackOptions(Norm.LINF, epsilon,
                name.equals("fgsm") ? null : 20, 0, Map.of()));
    }

    /** C&amp;W-L2 at 5 binary steps of 100 (its default is 9 of 1000), DeepFool as published. */
    private static Attack minimumNorm(String name) {
        return AttackRegistry.create(name, new AttackOptions(null, null,
                name.equals("cw-l2") ? 100 : null, 0,
                name.equals("cw-l2") ? Map.of("binarySteps", "5") : Map.of()));
    }

    /**
     * Wall time per image of {@code work} over the test images: the median of three passes, after
     * a warm-up pass.
     */
    private static double millisPerImage(ImageDataset test, Consumer<NDArray> work) {
        double[] passes = new double[4];
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int pass = 0; pass < passes.length; pass++) {
                long start = System.nanoTime();
                for (int b = 0; b < test.numBatches(BATCH); b++) {
                    try (NDManager step = manager.newSubManager()) {
                        work.accept(test.batchNumber(step, b, BATCH).x());
                    }
                }
                passes[pass] = (System.nanoTime() - start) / 1e6 / test.size();
            }
        }
        double[] timed = Arrays.copyOfRange(passes, 1, passes.length);
        Arrays.sort(timed);
        return timed[1];
    }

    private static double accuracy(BlockClassifier model, ImageDataset test) {
        int correct = 0;
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int b = 0; b < test.numBatches(BATCH); b++) {
                try (NDManager step = manager.newSubManager()) {
                    Batch batch = test.batchNumber(step, b, BATCH);
                    correct += (int) model.logits(batch.x()).argMax(1)
                            .toType(DataType.INT32, false)
                            .eq(batch.y().toType(DataType.INT32, false)).sum().getLong();
                }
            }
        }
        return (double) correct / test.size();
    }

    private record Arguments(Path work, Path out, Path mnist, int test, List<String> sets) {

        static Arguments parse(String[] args) {
            Path work = Path.of("runs", "detectors");
            Path out = Path.of("docs", "detectors.md");
            Path mnist = null;
            int test = 1000;
            List<String> sets = new ArrayList<>();
            boolean pageOnly = false;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--work" -> work = Path.of(args[++i]);
                    case "--out" -> out = Path.of(args[++i]);
                    case "--mnist" -> mnist = Path.of(args[++i]);
                    case "--test" -> test = Integer.parseInt(args[++i]);
                    case "--page-only" -> pageOnly = true;
                    default -> {
                        if (args[i].startsWith("-")
                                || !List.of("mnist", "fashion-mnist").contains(args[i])) {
                            throw new IllegalArgumentException("usage: detector-table [--work DIR]"
                                    + " [--out FILE] [--mnist DIR] [--test N] [--page-only]"
                                    + " [mnist|fashion-mnist ...]");
                        }
                        sets.add(args[i]);
                    }
                }
            }
            if (sets.isEmpty()) {
                sets = List.of("mnist", "fashion-mnist");
            }
            return new Arguments(work, out, mnist, test, pageOnly ? List.of() : sets);
        }
    }
}
