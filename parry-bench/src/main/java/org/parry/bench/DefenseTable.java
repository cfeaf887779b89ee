package org.parry.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.parry.Versions;
import org.parry.attack.Attack;
import org.parry.attack.AttackResult;
import org.parry.attack.Fgsm;
import org.parry.attack.Pgd;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.data.DataSets;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.eval.EvaluationListener;
import org.parry.eval.EvaluationSettings;
import org.parry.eval.SanityChecks;
import org.parry.eval.Evaluator;
import org.parry.eval.Suite;
import org.parry.loss.AttackLoss;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.BlockClassifier;
import org.parry.model.ModelCard;
import org.parry.model.SavedModel;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.model.zoo.Nonlinearity;
import org.parry.norm.Norm;
import org.parry.train.RobustnessMonitor;

/**
 * Regenerates {@code docs/defenses.md}: trains every defense of {@code org.parry.defense} on
 * Fashion-MNIST with small-cnn, evaluates it on the first 1000 test images (clean, FGSM, PGD-20,
 * PGD-20 on the C&amp;W margin), runs the catastrophic-overfitting experiment (FGSM-RS at ε = 0.2
 * over seeds, with and without the bag of tricks) and, when MNIST is given, Goodfellow et al.'s
 * shallow-softmax table; AutoAttack-standard, the slowest part, runs last. Every trained model and every number is cached in
 * the work directory, so an interrupted run continues where it stopped and the page is rewritten
 * after each number.
 *
 * <pre>
 * defense-table [--work DIR] [--out FILE] [--mnist DIR] [--aa-points N] [--quick] [--page-only]
 *               [SECTION...]
 *               SECTION: main, overfitting, mnist (default: all three); --page-only rewrites the
 *               page from the cached numbers without computing anything
 * </pre>
 */
public final class DefenseTable {

    private static final float EPSILON = 0.1f;
    private static final float OVERFITTING_EPSILON = 0.2f;
    private static final int TEST_POINTS = 1000;
    /** AutoAttack runs last, the most telling models first, in case the run is cut short. */
    /** Seeds of every run of the catastrophic-overfitting experiment. */
    private static final int OVERFITTING_SEEDS = 3;
    private static final List<String> AUTOATTACK_ORDER = List.of("pgd-at", "fgsm-rs",
            "distillation", "trades", "fat", "fgsm-mixed", "ensemble-at", "standard");

    /** One trained model of the table. */
    private record Run(String id, String label, TrainingRecipe recipe) {

        Run(String id, String label, String architecture, ArchitectureOptions options,
                String defense, Float epsilon, Map<String, String> settings, String dataset,
                int trainSize, int epochs, long seed, boolean monitor) {
            this(id, label, new TrainingRecipe(architecture, options, defense, epsilon, settings,
                    dataset, trainSize, epochs, seed, monitor));
        }
    }

    private final Path work;
    private final Path out;
    private final Path mnist;
    private final int aaPoints;
    private final boolean quick;
    private final PrintStream log;
    private final Map<String, Map<String, Object>> results = new LinkedHashMap<>();
    private final List<String> sections;

    private DefenseTable(Path work, Path out, Path mnist, int aaPoints, boolean quick,
            List<String> sections, PrintStream log) {
        this.work = work;
        this.out = out;
        this.mnist = mnist;
        this.aaPoints = aaPoints;
        this.quick = quick;
        this.sections = sections;
        this.log = log;
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        Path work = Path.of("runs", "defenses");
        Path out = Path.of("docs", "defenses.md");
        Path mnist = null;
        int aaPoints = TEST_POINTS;
        boolean quick = false;
        List<String> sections = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--work" -> work = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--mnist" -> mnist = Path.of(args[++i]);
                case "--aa-points" -> aaPoints = Integer.parseInt(args[++i]);
                case "--quick" -> quick = true;
                case "--page-only" -> sections.add("none");
                case "main", "overfitting", "mnist" -> sections.add(args[i]);
                default -> {
                    System.err.println("usage: defense-table [--work DIR] [--out FILE] [--mnist DIR]"
                            + " [--aa-points N] [--quick] [--page-only] [main|overfitting|mnist ...]");
                    System.exit(2);
                }
            }
        }
        if (sections.isEmpty()) {
            sections = List.of("main", "overfitting", "mnist");
        }
        new DefenseTable(work, out, mnist, aaPoints, quick, sections, System.err).run();
    }

    private void run() throws IOException {
        Files.createDirectories(work);
        List<Run> main = mainRuns(work, quick);
        List<Run> overfitting = overfittingRuns();
        List<Run> goodfellow = mnistRuns();
        for (Run run : concat(main, overfitting, goodfellow)) {
            loadCached(run);
        }
        if (sections.contains("main")) {
            for (Run run : main) {
                measure(run, EPSILON, false);
                write(main, overfitting, goodfellow);
            }
        }
        if (sections.contains("overfitting")) {
            for (Run run : overfitting) {
                measure(run, OVERFITTING_EPSILON, false);
                write(main, overfitting, goodfellow);
            }
        }
        if (sections.contains("mnist") && mnist != null) {
            for (Run run : goodfellow) {
                measure(run, 0.25f, false);
                write(main, overfitting, goodfellow);
            }
        }
        if (sections.contains("main")) {
            for (String id : AUTOATTACK_ORDER) {
                Run run = main.stream().filter(r -> r.id().equals(id)).findFirst().orElseThrow();
                measure(run, EPSILON, true);
                write(main, overfitting, goodfellow);
            }
        }
        write(main, overfitting, goodfellow);
        log.println("wrote " + out);
    }

    private static int scaled(int size, boolean quick) {
        return quick ? Math.max(256, size / 20) : size;
    }

    /**
     * How the main table trains the model {@code id} (e.g. {@code pgd-at}, {@code fgsm-rs}) in a
     * full run, for the benchmarks that attack the same models.
     */
    static TrainingRecipe mainRecipe(String id) {
        return mainRuns(Path.of("runs", "defenses"), false).stream()
                .filter(run -> run.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no model '" + id
                        + "' in the defense table's main section"))
                .recipe();
    }

    private static List<Run> mainRuns(Path work, boolean quick) {
        int size = scaled(20_000, quick);
        int epochs = quick ? 1 : 4;
        ArchitectureOptions relu = ArchitectureOptions.DEFAULT;
        List<Run> runs = new ArrayList<>();
        runs.add(new Run("standard", "standard training", "small-cnn", relu, "standard", null,
                Map.of(), "fashion-mnist", size, epochs, 0, false));
        runs.add(new Run("fgsm-mixed", "FGSM mixed, α = 0.5 (Goodfellow 2015)", "small-cnn", relu,
                "fgsm-mixed", EPSILON, Map.of(), "fashion-mnist", size, epochs, 0, false));
        runs.add(new Run("pgd-at", "PGD-10 AT (Madry 2018)", "small-cnn", relu, "pgd-at", EPSILON,
                Map.of(), "fashion-mnist", size, epochs, 0, false));
        runs.add(new Run("fgsm-rs", "FGSM-RS, α = 1.25ε (Wong 2020)", "small-cnn", relu, "fgsm-rs",
                EPSILON, Map.of(), "fashion-mnist", size, epochs, 0, true));
        runs.add(new Run("fat", "FAT, dynamic τ (Zhang 2020)", "small-cnn", relu, "fat", EPSILON,
                Map.of(), "fashion-mnist", size, epochs, 0, false));
        runs.add(new Run("trades", "TRADES, β = 6 (Zhang 2019)", "small-cnn", relu, "trades",
                EPSILON, Map.of(), "fashion-mnist", size, epochs, 0, false));
        runs.add(new Run("static-mlp", "static source: mlp", "mlp", relu, "standard", null,
                Map.of(), "fashion-mnist", size, Math.max(1, epochs / 2), 1, false));
        runs.add(new Run("static-lenet5", "static source: lenet5", "lenet5", relu, "standard", null,
                Map.of(), "fashion-mnist", size, Math.max(1, epochs / 2), 2, false));
        runs.add(new Run("ensemble-at", "ensemble AT, sources mlp + lenet5 (Tramèr 2018)",
                "small-cnn", relu, "ensemble-at", EPSILON,
                Map.of("sources", work.resolve("static-mlp") + "," + work.resolve("static-lenet5")),
                "fashion-mnist", size, epochs, 0, false));
        runs.add(new Run("teacher", "distillation teacher, T = 100", "small-cnn", relu,
                "distillation-teacher", null, Map.of(), "fashion-mnist", size, epochs, 0, false));
        runs.add(new Run("distillation", "defensive distillation, T = 100 (Papernot 2016)",
                "small-cnn", relu, "distillation", null,
                Map.of("teacher", work.resolve("teacher").toString()), "fashion-mnist", size,
                epochs, 0, false));
        return runs;
    }

    private List<Run> overfittingRuns() {
        int size = scaled(20_000, quick);
        int epochs = quick ? 2 : 6;
        ArchitectureOptions relu = ArchitectureOptions.DEFAULT;
        List<Run> runs = new ArrayList<>();
        for (long seed = 0; seed < OVERFITTING_SEEDS; seed++) {
            runs.add(new Run("co-baseline-" + seed, "FGSM-RS", "small-cnn", relu, "fgsm-rs",
                    OVERFITTING_EPSILON, Map.of(), "fashion-mnist", size, epochs, seed, true));
            runs.add(new Run("co-conv1-l2-" + seed, "FGSM-RS + first-conv L2 (λ = 0.01)",
                    "small-cnn", relu, "fgsm-rs", OVERFITTING_EPSILON,
                    Map.of("firstLayerPenalty", "0.01"), "fashion-mnist", size, epochs, seed, true));
        }
        for (long seed = 0; seed < OVERFITTING_SEEDS; seed++) {
            runs.add(new Run("co-softplus-" + seed, "FGSM-RS + softplus activations", "small-cnn",
                    new ArchitectureOptions(0, Nonlinearity.SOFTPLUS, 1), "fgsm-rs",
                    OVERFITTING_EPSILON, Map.of(), "fashion-mnist", size, epochs, seed, true));
            runs.add(new Run("co-grid-mask-" + seed, "FGSM-RS + grid-masked start", "small-cnn",
                    relu, "fgsm-rs", OVERFITTING_EPSILON, Map.of("start", "grid-mask"),
                    "fashion-mnist", size, epochs, seed, true));
            runs.add(new Run("co-stride2-" + seed, "FGSM-RS + first-conv stride 2", "small-cnn",
                    new ArchitectureOptions(0, Nonlinearity.RELU, 2), "fgsm-rs",
                    OVERFITTING_EPSILON, Map.of(), "fashion-mnist", size, epochs, seed, true));
        }
        return runs;
    }

    private List<Run> mnistRuns() {
        int size = scaled(60_000, quick);
        int epochs = quick ? 1 : 5;
        return List.of(
                new Run("mnist-linear", "shallow softmax, standard", "linear",
                        ArchitectureOptions.DEFAULT, "standard", null, Map.of(), "mnist", size,
                        epochs, 0, false),
                new Run("mnist-linear-fgsm", "shallow softmax, FGSM mixed (ε = 0.25, α = 0.5)",
                        "linear", ArchitectureOptions.DEFAULT, "fgsm-mixed", 0.25f,
                        Map.of("labels", "true"), "mnist", size, epochs, 0, false));
    }

    @SafeVarargs
    private static List<Run> concat(List<Run>... lists) {
        List<Run> all = new ArrayList<>();
        for (List<Run> list : lists) {
            all.addAll(list);
        }
        return all;
    }

    // ---------------------------------------------------------------- training and evaluation

    private void measure(Run run, float epsilon, boolean autoAttack) throws IOException {
        Path directory = work.resolve(run.id());
        ImageDataset test = testSet(run).first(TEST_POINTS);
        if (!SavedModel.isSavedModel(directory)) {
            train(run, directory);
        }
        if (isHelper(run)) {
            return;
        }
        Map<String, Object> result = results.computeIfAbsent(run.id(), k -> new LinkedHashMap<>());
        ModelCard card = SavedModel.readCard(directory);
        result.put("card_metrics", card.metrics());
        result.put("history", card.training().get("history"));
        try (BlockClassifier model = SavedModel.load(directory)) {
            record Measure(String key, Attack attack) {}
            List<Measure> measures = List.of(
                    new Measure("fgsm", Fgsm.of(epsilon)),
                    new Measure("pgd20", Pgd.builder(Norm.LINF, epsilon).optSteps(20)
                            .optStepSize(epsilon / 4).optSeed(0).build()),
                    new Measure("pgd20_cw", Pgd.builder(Norm.LINF, epsilon).optSteps(20)
                            .optStepSize(epsilon / 4).optLoss(AttackLoss.CW).optSeed(0).build()));
            if (!result.containsKey("clean")) {
                result.put("clean", cleanAccuracy(model, test));
                result.put("zero_gradient_fraction", zeroGradientFraction(model, test));
                save(run);
            }
            for (Measure measure : measures) {
                if (!result.containsKey(measure.key())) {
                    log.printf(Locale.ROOT, "%s: %s%n", run.id(), measure.key());
                    result.put(measure.key(), robustAccuracy(model, test, measure.attack()));
                    save(run);
                }
            }
            if (autoAttack && aaPoints > 0 && !result.containsKey("autoattack")) {
                log.printf(Locale.ROOT, "%s: autoattack on %d points%n", run.id(), aaPoints);
                long start = System.nanoTime();
                EvaluationSettings settings = new EvaluationSettings(Suite.parse("autoattack"),
                        Norm.LINF, new float[] {epsilon}, 0, 250);
                Evaluator.Run evaluation = new Evaluator(settings, EvaluationListener.NONE)
                        .run(model, testSet(run).first(aaPoints),
                                directory.resolve("autoattack-" + aaPoints), true);
                result.put("autoattack", evaluation.results().get(0).robustAccuracy());
                result.put("autoattack_points", aaPoints);
                result.put("autoattack_seconds", (System.nanoTime() - start) / 1e9);
                result.put("sanity_flags", SanityChecks.flagged(SanityChecks.run(model,
                        testSet(run).first(aaPoints), settings, evaluation)));
                save(run);
            }
        }
    }

    /** Models trained only for another defense's sake (static sources, the teacher). */
    private static boolean isHelper(Run run) {
        return run.id().startsWith("static") || run.id().equals("teacher");
    }

    private void train(Run run, Path directory) throws IOException {
        log.printf(Locale.ROOT, "%s: training %s%n", run.id(), run.recipe().describe());
        run.recipe().train(directory, dataDirectory(run));
    }

    private ImageDataset testSet(Run run) throws IOException {
        return DataSets.load(run.recipe().dataset(), dataDirectory(run), Split.TEST);
    }

    private Path dataDirectory(Run run) {
        return run.recipe().dataset().equals("mnist") ? mnist : null;
    }

    private static double cleanAccuracy(BlockClassifier model, ImageDataset data) {
        long correct = 0;
        try (NDManager scope = model.manager().newSubManager()) {
            for (int from = 0; from < data.size(); from += 250) {
                Batch batch = data.batch(scope, from, Math.min(data.size(), from + 250));
                correct += model.logits(batch.x()).argMax(1).toType(batch.y().getDataType(), false)
                        .eq(batch.y()).sum().getLong();
            }
        }
        return (double) correct / data.size();
    }

    private static double robustAccuracy(BlockClassifier model, ImageDataset data, Attack attack) {
        long robust = 0;
        try (NDManager scope = model.manager().newSubManager()) {
            for (int from = 0; from < data.size(); from += 250) {
                try (NDManager batchScope = scope.newSubManager()) {
                    Batch batch = data.batch(batchScope, from, Math.min(data.size(), from + 250));
                    AttackResult result = attack.run(model, batch.x(),
                            new Misclassification(batch.y()));
                    robust += result.size() - result.successes();
                }
            }
        }
        return (double) robust / data.size();
    }

    /** The fraction of points whose cross-entropy input gradient is exactly zero everywhere. */
    private static double zeroGradientFraction(BlockClassifier model, ImageDataset data) {
        long zero = 0;
        try (NDManager scope = model.manager().newSubManager()) {
            for (int from = 0; from < data.size(); from += 250) {
                Batch batch = data.batch(scope, from, Math.min(data.size(), from + 250));
                NDArray gradient = model.lossGradient(batch.x(), batch.y(),
                        CrossEntropyLoss.get()).gradient();
                zero += gradient.abs().reshape(batch.size(), -1).max(new int[] {1}).eq(0f)
                        .sum().getLong();
            }
        }
        return (double) zero / data.size();
    }

    // ---------------------------------------------------------------- cache

    private void loadCached(Run run) throws IOException {
        Path file = work.resolve(run.id()).resolve("table.json");
        if (Files.isRegularFile(file)) {
            results.put(run.id(), SavedModel.json().readValue(file.toFile(),
                    new TypeReference<LinkedHashMap<String, Object>>() {}));
        }
    }

    private void save(Run run) throws IOException {
        Path file = work.resolve(run.id()).resolve("table.json");
        Files.createDirectories(file.getParent());
        SavedModel.json().writerWithDefaultPrettyPrinter().writeValue(file.toFile(),
                results.get(run.id()));
    }

    // ---------------------------------------------------------------- the page

    private void write(List<Run> main, List<Run> overfitting, List<Run> goodfellow)
            throws IOException {
        StringBuilder page = new StringBuilder();
        page.append("# Defenses, measured\n\n");
        page.append("Generated by `./defense-table").append(quick ? " --quick" : "")
                .append(" --mnist ../shared/data/mnist` (Parry ").append(Versions.parry())
                .append("); every number below was measured by that command on this machine"
                        + " (2 cores, no GPU), nothing is copied from a paper. Models and numbers"
                        + " are cached in `").append(work).append("`, so the command continues"
                        + " where it stopped. Evaluation: the first ").append(TEST_POINTS)
                .append(" test images; FGSM without random start; PGD-20 with step ε/4 and a"
                        + " random start, on cross-entropy (CE) and on the C&W margin (CW);"
                        + " AutoAttack-standard (APGD-CE, APGD-T, FAB-T, Square 5000) on the"
                        + " first ").append(aaPoints).append(" test images, followed by Parry's"
                        + " sanity checks on that evaluation (the column lists those that did not"
                        + " pass; `report.json` of `parry evaluate` explains each).\n\n");
        mainSection(page, main);
        overfittingSection(page, overfitting);
        mnistSection(page, goodfellow);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, page.toString());
    }

    private void mainSection(StringBuilder page, List<Run> runs) {
        TrainingRecipe first = runs.get(0).recipe();
        page.append("## Adversarial training at ε = 0.1 (L∞), Fashion-MNIST, small-cnn\n\n")
                .append("Each model: the first ").append(first.trainSize())
                .append(" training images, ").append(first.epochs())
                .append(" epochs, Adam 1e-3, batch 128, seed 0. Robust accuracy at ε = 0.1. The"
                        + " images/s column is each model's last training epoch, with whatever else"
                        + " ran on the machine at the time: for costs measured side by side, use"
                        + " `./bench defense-training`.\n\n");
        page.append("| defense | clean | FGSM | PGD-20 CE | PGD-20 CW | AutoAttack | zero-gradient"
                + " points | sanity checks not passed | train s | images/s | cost vs standard |\n");
        page.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        double standardRate = rate(results.get("standard"));
        for (Run run : runs) {
            Map<String, Object> r = results.get(run.id());
            if (r == null || isHelper(run)) {
                continue;
            }
            double imagesPerSecond = rate(r);
            page.append("| ").append(run.label())
                    .append(" | ").append(number(r, "clean"))
                    .append(" | ").append(number(r, "fgsm"))
                    .append(" | ").append(number(r, "pgd20"))
                    .append(" | ").append(number(r, "pgd20_cw"))
                    .append(" | ").append(number(r, "autoattack"))
                    .append(" | ").append(number(r, "zero_gradient_fraction"))
                    .append(" | ").append(flags(r))
                    .append(" | ").append(format("%.0f", cardMetric(r, "train_seconds")))
                    .append(" | ").append(format("%.0f", imagesPerSecond))
                    .append(" | ").append(format("%.1f×", standardRate / imagesPerSecond))
                    .append(" |\n");
        }
        Map<String, Object> fat = results.get("fat");
        if (fat != null) {
            page.append("\nFAT took ").append(format("%.2f", lastStatistic(fat,
                    "fat_gradients_per_example"))).append(" gradient passes per example in its last"
                    + " epoch (τ = ").append(format("%.0f", lastStatistic(fat, "fat_tau")))
                    .append("); PGD-10 AT takes 10.\n");
        }
        page.append("\n").append(claims()).append("\n");
    }

    private String claims() {
        StringBuilder text = new StringBuilder("What the issue asked the table to show, checked"
                + " against the numbers above:\n\n");
        Map<String, Object> pgd = results.get("pgd-at");
        Map<String, Object> fast = results.get("fgsm-rs");
        Map<String, Object> distilled = results.get("distillation");
        Map<String, Object> standard = results.get("standard");
        if (pgd != null && pgd.containsKey("pgd20")) {
            double robust = (double) pgd.get("pgd20");
            double clean = (double) pgd.get("clean");
            text.append("- PGD-AT reaches PGD-20 ≥ 0.55 with clean ≥ 0.75: **")
                    .append(robust >= 0.55 && clean >= 0.75 ? "yes" : "no").append("** (")
                    .append(format("%.3f", robust)).append(" / ").append(format("%.3f", clean))
                    .append(standard != null && standard.containsKey("pgd20")
                            ? format("; the standard model's PGD-20 is %.3f",
                                    (double) standard.get("pgd20")) : "")
                    .append(").\n");
        }
        if (pgd != null && fast != null && fast.containsKey("pgd20") && pgd.containsKey("pgd20")) {
            double gap = (double) pgd.get("pgd20") - (double) fast.get("pgd20");
            text.append("- FGSM-RS within 5 points of PGD-AT on PGD-20: **")
                    .append(Math.abs(gap) <= 0.05 ? "yes" : "no").append("** (difference ")
                    .append(format("%+.3f", -gap)).append(") at ")
                    .append(format("%.0f%%", 100 * rate(pgd) / rate(fast)))
                    .append(" of PGD-AT's cost per image.");
            if (pgd.get("autoattack") instanceof Number pgdAa
                    && fast.get("autoattack") instanceof Number fastAa) {
                text.append(" On AutoAttack (first ").append(pgd.get("autoattack_points"))
                        .append(" test images) the difference is ")
                        .append(format("%+.3f", fastAa.doubleValue() - pgdAa.doubleValue()))
                        .append(format(" (%.3f vs %.3f).", fastAa.doubleValue(),
                                pgdAa.doubleValue()));
            }
            text.append("\n");
        }
        if (distilled != null && distilled.containsKey("pgd20_cw")) {
            text.append("- Distillation looks robust to softmax-CE PGD and falls to the C&W loss: "
                    + "PGD-20 CE ").append(format("%.3f", (double) distilled.get("pgd20")))
                    .append(" vs PGD-20 CW ").append(format("%.3f", (double) distilled.get("pgd20_cw")))
                    .append(", with ").append(format("%.1f%%",
                            100 * (double) distilled.get("zero_gradient_fraction")))
                    .append(" of the points having an all-zero CE input gradient")
                    .append(distilled.get("autoattack") instanceof Number aa
                            ? format("; AutoAttack leaves %.3f", aa.doubleValue()) : "")
                    .append(".\n");
        }
        return text.toString();
    }

    private void overfittingSection(StringBuilder page, List<Run> runs) {
        TrainingRecipe first = runs.get(0).recipe();
        page.append("## Catastrophic overfitting: FGSM-RS at ε = 0.2 and the bag of tricks\n\n")
                .append("FGSM-RS (α = 1.25ε) on the first ").append(first.trainSize())
                .append(" training images (512 of them held out for the monitor), up to ")
                .append(first.epochs()).append(" epochs. The monitor measures clean,"
                        + " FGSM and PGD-10 accuracy on the held-out images after every epoch; when"
                        + " PGD accuracy falls more than 0.2 below its best (Wong et al.'s early"
                        + " stopping), or more than 0.1 to less than half its best, or FGSM"
                        + " accuracy exceeds clean accuracy while PGD accuracy is below its best,"
                        + " it stops training and restores the best epoch."
                        + " The test columns are for the model as saved (the restored epoch"
                        + " when the monitor fired), at ε = 0.2. The tricks (Li, Liu, Wang, Zhou and"
                        + " Xie 2022, \"Bag of tricks for FGSM adversarial training\"):"
                        + " λ‖W₁‖² on the first convolution (`fgsm-rs.firstLayerPenalty`),"
                        + " softplus activations (`--activation softplus`), a random start masked"
                        + " on a grid (`fgsm-rs.start=grid-mask`: our reading of the paper's"
                        + " masking, whose code was not published) and stride 2 in the first"
                        + " convolution"
                        + " (`--first-stride 2`). Seeds 0–" + (OVERFITTING_SEEDS - 1)
                        + " for each. `--activation silu|gelu|elu` and"
                        + " `fgsm-rs.start=random-mask` are implemented and unit-tested but not"
                        + " in this table.\n\n");
        page.append("| run | seed | held-out PGD-10 per epoch | monitor | test clean | test FGSM"
                + " | test PGD-20 | FGSM − PGD-20 |\n|---|---|---|---|---|---|---|---|\n");
        Map<String, int[]> collapses = new LinkedHashMap<>();
        for (Run run : runs) {
            Map<String, Object> r = results.get(run.id());
            if (r == null || !r.containsKey("history")) {
                continue;
            }
            List<Map<String, Object>> history = history(r);
            StringBuilder trace = new StringBuilder();
            String monitor = "did not fire";
            for (Map<String, Object> epoch : history) {
                Map<?, ?> statistics = (Map<?, ?>) epoch.get("statistics");
                Object pgd = statistics.get(RobustnessMonitor.PGD);
                trace.append(trace.length() == 0 ? "" : ", ")
                        .append(pgd == null ? "–" : format("%.2f", ((Number) pgd).doubleValue()));
                if (statistics.containsKey(RobustnessMonitor.COLLAPSED)) {
                    monitor = format("fired at epoch %d (FGSM %.2f, clean %.2f); restored epoch %d",
                            ((Number) epoch.get("epoch")).intValue(),
                            ((Number) statistics.get(RobustnessMonitor.FGSM)).doubleValue(),
                            ((Number) statistics.get(RobustnessMonitor.CLEAN)).doubleValue(),
                            ((Number) statistics.get(RobustnessMonitor.RESTORED_EPOCH)).intValue());
                }
            }
            double gap = r.get("fgsm") instanceof Number fgsm && r.get("pgd20") instanceof Number pgd
                    ? fgsm.doubleValue() - pgd.doubleValue() : Double.NaN;
            int[] tally = collapses.computeIfAbsent(run.label(), k -> new int[3]);
            boolean collapsedAtTest = r.get("pgd20") instanceof Number pgd20
                    && (pgd20.doubleValue() < 0.1 || r.get("fgsm") instanceof Number fgsm
                            && r.get("clean") instanceof Number clean
                            && fgsm.doubleValue() > clean.doubleValue());
            tally[0] += monitor.startsWith("fired") || collapsedAtTest ? 1 : 0;
            tally[1] += gap > 0.3 ? 1 : 0;
            tally[2]++;
            page.append("| ").append(run.label()).append(" | ").append(run.recipe().seed())
                    .append(" | ").append(trace)
                    .append(" | ").append(monitor)
                    .append(" | ").append(number(r, "clean"))
                    .append(" | ").append(number(r, "fgsm"))
                    .append(" | ").append(number(r, "pgd20"))
                    .append(" | ").append(format("%.3f", gap))
                    .append(" |\n");
        }
        page.append("\nCollapse rate (the monitor fired, or the saved model has test PGD-20 below 0.1"
                + " or test FGSM accuracy above clean accuracy) and the softer masking flag (test"
                + " FGSM accuracy more than 0.3 above PGD-20): ");
        List<String> rates = new ArrayList<>();
        collapses.forEach((label, tally) -> rates.add(label + ": collapsed " + tally[0] + "/"
                + tally[2] + ", flagged " + tally[1] + "/" + tally[2]));
        page.append(String.join("; ", rates)).append(".\n\n");
    }

    private void mnistSection(StringBuilder page, List<Run> runs) {
        page.append("## MNIST: Goodfellow et al.'s shallow softmax, before and after adversarial"
                + " training\n\n");
        if (runs.stream().noneMatch(run -> results.containsKey(run.id())
                && results.get(run.id()).containsKey("fgsm"))) {
            page.append("Not measured in this run (give `--mnist DIR` with the original MNIST"
                    + " files).\n");
            return;
        }
        page.append("Linear model (softmax regression) on the MNIST training set, ")
                .append(runs.get(0).recipe().epochs()).append(" epochs, Adam 1e-3; FGSM at ε = 0.25 on the"
                        + " first ").append(TEST_POINTS).append(" test images. The paper reports"
                        + " 99.9% FGSM error for the shallow softmax and, for its maxout network,"
                        + " 89.4% before and 17.9% after adversarial training.\n\n");
        page.append("| model | clean error | FGSM error (ε = 0.25) |\n|---|---|---|\n");
        for (Run run : runs) {
            Map<String, Object> r = results.get(run.id());
            if (r == null || !r.containsKey("fgsm")) {
                continue;
            }
            page.append("| ").append(run.label())
                    .append(" | ").append(format("%.1f%%", 100 * (1 - (double) r.get("clean"))))
                    .append(" | ").append(format("%.1f%%", 100 * (1 - (double) r.get("fgsm"))))
                    .append(" |\n");
        }
    }

    /** The sanity checks that warned or failed, e.g. "gradient-health FAIL", or – if not run. */
    private static String flags(Map<String, Object> result) {
        if (!(result.get("sanity_flags") instanceof Map<?, ?> flags)) {
            return "–";
        }
        if (flags.isEmpty()) {
            return "none";
        }
        List<String> names = new ArrayList<>();
        flags.forEach((id, text) -> names.add(id + " " + text.toString().split(":")[0]));
        return String.join(", ", names);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> history(Map<String, Object> result) {
        Object history = result.get("history");
        return history instanceof List<?> list ? (List<Map<String, Object>>) list : List.of();
    }

    private static double lastStatistic(Map<String, Object> result, String key) {
        List<Map<String, Object>> history = history(result);
        if (history.isEmpty()) {
            return Double.NaN;
        }
        Object value = ((Map<?, ?>) history.get(history.size() - 1).get("statistics")).get(key);
        return value instanceof Number number ? number.doubleValue() : Double.NaN;
    }

    private static double cardMetric(Map<String, Object> result, String key) {
        if (result == null || !(result.get("card_metrics") instanceof Map<?, ?> metrics)) {
            return Double.NaN;
        }
        Object value = metrics.get(key);
        return value instanceof Number number ? number.doubleValue() : Double.NaN;
    }

    private static double rate(Map<String, Object> result) {
        return cardMetric(result, "train_images_per_second");
    }

    private static String number(Map<String, Object> result, String key) {
        Object value = result.get(key);
        return value instanceof Number n ? format("%.3f", n.doubleValue()) : "–";
    }

    private static String format(String pattern, Object... values) {
        return String.format(Locale.ROOT, pattern, values);
    }
}
