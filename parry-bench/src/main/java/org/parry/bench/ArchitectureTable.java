package org.parry.bench;

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
import org.parry.analysis.ChannelAnalysis;
import org.parry.analysis.ClassPairAnalysis;
import org.parry.analysis.NoiseAnalysis;
import org.parry.analysis.Progress;
import org.parry.attack.Attack;
import org.parry.attack.Fgsm;
import org.parry.attack.Pgd;
import org.parry.data.DataSets;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.eval.DataSetAttack;
import org.parry.eval.EvaluationListener;
import org.parry.eval.EvaluationSettings;
import org.parry.eval.Evaluator;
import org.parry.eval.SanityChecks;
import org.parry.eval.Suite;
import org.parry.experiments.Seeds;
import org.parry.io.AtomicFiles;
import org.parry.model.BlockClassifier;
import org.parry.model.ModelCard;
import org.parry.model.SavedModel;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.model.zoo.CifsProbe;
import org.parry.model.zoo.Denoiser;
import org.parry.model.zoo.Nonlinearity;
import org.parry.norm.Norm;
import org.parry.train.TrainingRecipe;

/**
 * Regenerates {@code docs/architectures.md}: the robust architectures of methods/defenses.md §2,
 * each against the same network without it, with the claims of their papers and whether each
 * reproduced at this scale.
 * <ul>
 *   <li>{@code at}: {@code cnn3} adversarially trained (PGD-AT, ε = 0.1) on Fashion-MNIST, plain
 *       (ReLU) and with CIFS, Sparta, SiLU (Sparta's starting point), a non-local and a mean
 *       denoising block, 3 seeds each: clean, PGD-20 (the joint loss for CIFS, and the
 *       classifier's head alone next to it), PGD-100 for the denoisers, Gaussian noise; AutoAttack
 *       on seed 0;
 *   <li>{@code std}: plain and non-local {@code cnn3} trained without AT (denoising alone);
 *   <li>{@code ode}: {@code res-cnn}, {@code odenet} and {@code tisode} trained with Gaussian-noise
 *       augmentation on Fashion-MNIST, 3 seeds: clean, Gaussian noise, FGSM and PGD-20;
 *   <li>{@code mnist-ode}: the same on MNIST against TisODE's FGSM table (with {@code --mnist});
 *   <li>{@code transfer}: Sparta modules trained on Fashion-MNIST, frozen and reused for PGD-AT on
 *       MNIST, next to Sparta and ReLU trained there (with {@code --mnist}).
 * </ul>
 * Models and every measured value are cached in the work directory, so a run that is cut short
 * continues where it stopped, and the page is rewritten after each model.
 *
 * <pre>
 * architecture-table [--work DIR] [--out FILE] [--mnist DIR] [--points N] [--quick]
 * </pre>
 */
public final class ArchitectureTable {

    private static final float EPSILON = 0.1f;
    private static final int BATCH = 250;
    private static final long SEED = 0;
    /** TisODE's noise level, 100/255, and two round ones. */
    private static final float[] SIGMAS = {0.1f, 0.2f, 100f / 255f};
    private static final float[] MNIST_FGSM = {0.15f, 0.3f, 0.5f};
    /** AutoAttack's points (standard version, on seed 0 for its cost on two cores). */
    private static final int AUTOATTACK_POINTS = 500;
    /**
     * Adam's rate for the ODE section's three networks: at Parry's default 1e-3 these GroupNorm
     * networks with global pooling learn slowly (res-cnn: 58% after two epochs of 20,000
     * images, 71% at 5e-3); the same rate for all three.
     */
    private static final float ODE_LEARNING_RATE = 5e-3f;
    /** Student's t quantile for a two-sided 95% interval with 2 degrees of freedom (3 seeds). */

    /**
     * One model of the page.
     *
     * @param section {@code at}, {@code std}, {@code ode}, {@code mnist-ode} or {@code transfer}
     * @param variant the row, e.g. {@code cifs}
     * @param seed the training seed
     * @param recipe how it is trained
     */
    record Run(String section, String variant, long seed, TrainingRecipe recipe) {
        String id() {
            return section + "-" + variant + "-s" + seed;
        }
    }

    private final TableArguments arguments;
    private final int seeds;
    private final PrintStream log;
    private final Map<String, Map<String, Object>> results = new LinkedHashMap<>();

    private ArchitectureTable(TableArguments arguments, PrintStream log) {
        this.arguments = arguments;
        this.seeds = arguments.quick() ? 1 : 3;
        this.log = log;
    }

    public static void main(String[] args) throws Exception {
        TableArguments arguments = TableArguments.parse(args, "architecture-table", "architectures");
        if (arguments.quick()) {
            arguments = new TableArguments(arguments.work().resolveSibling(
                    arguments.work().getFileName() + "-quick"), arguments.out(), arguments.mnist(),
                    Math.min(arguments.points(), 100), true);
        }
        new ArchitectureTable(arguments, System.err).run();
    }

    private void run() throws IOException {
        Files.createDirectories(arguments.work());
        List<Run> runs = runs();
        for (Run run : runs) {
            results.put(run.id(), readResult(run));
        }
        // Cheapest sections first, each model measured as soon as it is trained, so that the
        // page fills up early; odenet last, since on a CPU where oneDNN gets its 17-channel
        // convolutions wrong the forward check switches oneDNN off for the rest of the process.
        List<Run> ordered = new ArrayList<>(runs);
        ordered.sort(java.util.Comparator.comparing(run -> run.variant().equals("odenet")));
        for (Run run : ordered) {
            if (run.variant().equals("odenet")) {
                break;
            }
            trained(run);
            measure(run);
            writePage(runs);
        }
        for (Run run : runs) {
            if (run.section().equals("at") && run.seed() == SEED) {
                autoAttack(run);
                writePage(runs);
            }
        }
        analyses(runs);
        writePage(runs);
        for (Run run : ordered) {
            if (run.variant().equals("odenet")) {
                trained(run);
                measure(run);
                writePage(runs);
            }
        }
        log.println("wrote " + arguments.out());
    }

    // ---------------------------------------------------------------- the runs

    private List<Run> runs() {
        boolean quick = arguments.quick();
        int size = quick ? 512 : 6000;
        int epochs = quick ? 1 : 3;
        ArchitectureOptions relu = ArchitectureOptions.DEFAULT;
        Map<String, ArchitectureOptions> blocks = new LinkedHashMap<>();
        blocks.put("relu", relu);
        blocks.put("cifs", relu.withCifs(CifsProbe.LINEAR, ArchitectureOptions.DEFAULT_CIFS_BETA));
        blocks.put("sparta", new ArchitectureOptions(0, Nonlinearity.SPARTA, 1));
        blocks.put("nonlocal", relu.withDenoise(Denoiser.NONLOCAL));
        blocks.put("mean", relu.withDenoise(Denoiser.MEAN));
        blocks.put("silu", new ArchitectureOptions(0, Nonlinearity.SILU, 1));
        Map<String, String> pgd = Map.of("steps", "5", "stepSize", Float.toString(EPSILON / 2));
        List<Run> runs = new ArrayList<>();
        for (long seed = 0; seed < seeds; seed++) {
            for (String variant : List.of("relu", "nonlocal")) {
                runs.add(new Run("std", variant, seed, new TrainingRecipe("cnn3",
                        blocks.get(variant), "standard", null, Map.of(), "fashion-mnist", size,
                        epochs, seed, false)));
            }
        }
        for (long seed = 0; seed < seeds; seed++) {
            for (Map.Entry<String, ArchitectureOptions> block : blocks.entrySet()) {
                runs.add(new Run("at", block.getKey(), seed, new TrainingRecipe("cnn3",
                        block.getValue(), "pgd-at", EPSILON, pgd, "fashion-mnist", size, epochs,
                        seed, false)));
            }
        }
        int odeSize = quick ? 512 : 20_000;
        int odeEpochs = quick ? 1 : 2;
        for (long seed = 0; seed < seeds; seed++) {
            for (String architecture : List.of("res-cnn", "odenet", "tisode")) {
                runs.add(new Run("ode", architecture, seed, odeRecipe(architecture,
                        "fashion-mnist", odeSize, odeEpochs, seed)));
            }
        }
        if (arguments.mnist() != null) {
            for (String architecture : List.of("res-cnn", "odenet", "tisode")) {
                runs.add(new Run("mnist-ode", architecture, SEED, odeRecipe(architecture, "mnist",
                        odeSize, odeEpochs, SEED)));
            }
            Path fashionSparta = modelDirectory(new Run("at", "sparta", SEED, null));
            runs.add(new Run("transfer", "relu", SEED, new TrainingRecipe("cnn3", relu, "pgd-at",
                    EPSILON, pgd, "mnist", size, epochs, SEED, false)));
            runs.add(new Run("transfer", "sparta", SEED, new TrainingRecipe("cnn3",
                    blocks.get("sparta"), "pgd-at", EPSILON, pgd, "mnist", size, epochs, SEED,
                    false)));
            runs.add(new Run("transfer", "sparta-from-fashion", SEED, new TrainingRecipe("cnn3",
                    blocks.get("sparta"), "pgd-at", EPSILON, pgd, "mnist", size, epochs, SEED,
                    false, false, fashionSparta, 0f)));
        }
        return runs;
    }

    private static TrainingRecipe odeRecipe(String architecture, String dataset, int size,
            int epochs, long seed) {
        return new TrainingRecipe(architecture, ArchitectureOptions.ofWidth(16), "standard", null,
                Map.of(), dataset, size, epochs, seed, false, true, null, ODE_LEARNING_RATE);
    }

    // ---------------------------------------------------------------- training and measuring

    private Path modelDirectory(Run run) {
        return arguments.work().resolve(run.id());
    }

    private Path dataDirectory(Run run) {
        return run.recipe().dataset().equals("mnist") ? arguments.mnist() : null;
    }

    private void trained(Run run) throws IOException {
        Path directory = modelDirectory(run);
        if (!SavedModel.isSavedModel(directory)) {
            log.printf(Locale.ROOT, "%s: training %s%n", run.id(), run.recipe().describe());
            run.recipe().train(directory, dataDirectory(run));
        }
    }

    private ImageDataset test(Run run, int points) throws IOException {
        return DataSets.load(run.recipe().dataset(), dataDirectory(run), Split.TEST).first(points);
    }

    private void measure(Run run) throws IOException {
        Map<String, Object> result = results.get(run.id());
        ModelCard card = SavedModel.readCard(modelDirectory(run));
        result.put("train_seconds", card.metrics().get("train_seconds"));
        result.put("test_accuracy", card.metrics().get("test_accuracy"));
        ImageDataset test = test(run, arguments.points());
        float epsilon = run.section().equals("mnist-ode") ? 0.3f : EPSILON;
        try (BlockClassifier model = SavedModel.load(modelDirectory(run))) {
            if (!result.containsKey("clean")) {
                log.printf(Locale.ROOT, "%s: clean, noise and PGD-20%n", run.id());
                NoiseAnalysis.Result noise = new NoiseAnalysis(SIGMAS, 1, new float[] {epsilon},
                        BATCH, SEED).run(model, test, e -> pgd(e, 20), Progress.NONE);
                result.put("clean", noise.cleanAccuracy());
                result.put("pgd20", noise.adversarialAccuracy()[0]);
                double[] noisy = noise.meanNoiseAccuracy();
                for (int s = 0; s < SIGMAS.length; s++) {
                    result.put(noiseKey(SIGMAS[s]), noisy[s]);
                }
                save(run);
            }
            if (model.probes() > 0 && !result.containsKey("pgd20_head")) {
                result.put("pgd20_head", robust(model.headOnly(), test, pgd(epsilon, 20)));
                save(run);
            }
            boolean denoiser = run.section().equals("at")
                    && List.of("relu", "nonlocal", "mean").contains(run.variant());
            if (denoiser && !result.containsKey("pgd100")) {
                log.printf(Locale.ROOT, "%s: PGD-100%n", run.id());
                result.put("pgd100", robust(model, test, pgd(epsilon, 100)));
                save(run);
            }
            boolean ode = run.section().endsWith("ode");
            float[] fgsm = run.section().equals("mnist-ode") ? MNIST_FGSM : new float[] {EPSILON};
            for (float e : ode ? fgsm : new float[0]) {
                String key = "fgsm_" + e;
                if (!result.containsKey(key)) {
                    result.put(key, robust(model, test, Fgsm.of(e)));
                    save(run);
                }
            }
        }
    }

    private static Attack pgd(double epsilon, int steps) {
        return Pgd.builder(Norm.LINF, (float) epsilon).optSteps(steps)
                .optStepSize((float) epsilon / 4).optSeed(SEED).build();
    }

    private static String noiseKey(float sigma) {
        return String.format(Locale.ROOT, "noise_%.3f", sigma);
    }

    /** Accuracy at the attack's adversarial examples, over all points (clean errors count). */
    private static double robust(BlockClassifier model, ImageDataset test, Attack attack) {
        return new DataSetAttack(attack, null, BATCH, SEED, false)
                .run(model, test, (done, rate) -> {}).adversarialAccuracy();
    }

    private void autoAttack(Run run) throws IOException {
        Map<String, Object> result = results.get(run.id());
        int points = Math.min(AUTOATTACK_POINTS, arguments.points());
        if (result.get("autoattack_points") instanceof Number done && done.intValue() >= points) {
            return;
        }
        log.printf(Locale.ROOT, "%s: AutoAttack on %d points%n", run.id(), points);
        long start = System.nanoTime();
        EvaluationSettings settings = new EvaluationSettings(Suite.parse("autoattack"), Norm.LINF,
                new float[] {EPSILON}, SEED, BATCH);
        try (BlockClassifier model = SavedModel.load(modelDirectory(run))) {
            Evaluator.Run evaluation = new Evaluator(settings, EvaluationListener.NONE)
                    .run(model, test(run, points),
                            modelDirectory(run).resolve("autoattack-" + points), true);
            result.put("autoattack", evaluation.results().get(0).robustAccuracy());
            result.put("autoattack_points", points);
            result.put("autoattack_seconds", (System.nanoTime() - start) / 1e9);
            result.put("sanity_flags", SanityChecks.flagged(SanityChecks.run(model,
                    test(run, points), settings, evaluation)));
        }
        save(run);
    }

    /** The CIFS observation and the hard class pairs on the seed-0 models, as pictures. */
    private void analyses(List<Run> runs) throws IOException {
        Path pictures = pictureDirectory();
        Files.createDirectories(pictures);
        for (Run run : runs) {
            boolean channels = run.section().equals("at") && run.seed() == SEED
                    && List.of("relu", "cifs").contains(run.variant());
            boolean classes = run.section().matches("at|std") && run.seed() == SEED
                    && run.variant().equals("relu");
            Path channelChart = pictures.resolve(run.id() + "-" + ChannelAnalysis.CHART);
            Path classChart = pictures.resolve(run.id() + "-" + ClassPairAnalysis.CHART);
            Map<String, Object> result = results.get(run.id());
            if ((!channels || Files.exists(channelChart)) && (!classes || Files.exists(classChart))) {
                continue;
            }
            try (BlockClassifier model = SavedModel.load(modelDirectory(run))) {
                ImageDataset test = test(run, arguments.points());
                if (channels && !Files.exists(channelChart)) {
                    log.printf(Locale.ROOT, "%s: channel analysis%n", run.id());
                    ChannelAnalysis.Result analysis = ChannelAnalysis.of(pgd(EPSILON, 20))
                            .run(model, test, Progress.NONE);
                    analysis.writeChart(channelChart);
                    result.put("channels", analysis.table());
                }
                if (classes && !Files.exists(classChart)) {
                    log.printf(Locale.ROOT, "%s: class pairs%n", run.id());
                    ClassPairAnalysis.Result analysis = ClassPairAnalysis.of(pgd(EPSILON, 20))
                            .run(model, test, Progress.NONE);
                    analysis.writeChart(classChart);
                    result.put("classes", analysis.table(10));
                }
            }
            save(run);
        }
    }

    private Path pictureDirectory() {
        Path out = arguments.out();
        String name = out.getFileName().toString().replaceFirst("\\.md$", "");
        return out.resolveSibling(name);
    }

    // ---------------------------------------------------------------- the cache

    private Path resultFile(Run run) {
        return arguments.work().resolve(run.id() + ".json");
    }

    private Map<String, Object> readResult(Run run) throws IOException {
        Path file = resultFile(run);
        if (!Files.exists(file)) {
            return new LinkedHashMap<>();
        }
        return SavedModel.json().readValue(file.toFile(),
                new TypeReference<LinkedHashMap<String, Object>>() {});
    }

    private void save(Run run) throws IOException {
        AtomicFiles.write(resultFile(run),
                out -> SavedModel.json().writeValue(out, results.get(run.id())));
    }

    // ---------------------------------------------------------------- the page

    /** Values of one measured key over a section's seeds, for one variant (missing ones left out). */
    private double[] values(List<Run> runs, String section, String variant, String key) {
        return runs.stream()
                .filter(r -> r.section().equals(section) && r.variant().equals(variant))
                .map(r -> results.get(r.id()).get(key))
                .filter(v -> v instanceof Number)
                .mapToDouble(v -> ((Number) v).doubleValue()).toArray();
    }

    /** Per-seed differences a − b of one key (seeds where both are measured). */
    private double[] differences(List<Run> runs, String section, String a, String b, String key) {
        List<Double> diffs = new ArrayList<>();
        for (long seed = 0; seed < seeds; seed++) {
            Object x = results.getOrDefault(new Run(section, a, seed, null).id(), Map.of()).get(key);
            Object y = results.getOrDefault(new Run(section, b, seed, null).id(), Map.of()).get(key);
            if (x instanceof Number nx && y instanceof Number ny) {
                diffs.add(nx.doubleValue() - ny.doubleValue());
            }
        }
        return diffs.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Whether a CIFS model failed the gradient-health sanity check. */
    private boolean cifsShattered(List<Run> runs) {
        return runs.stream().filter(r -> r.section().equals("at") && r.variant().equals("cifs"))
                .map(r -> results.get(r.id()).get("sanity_flags"))
                .anyMatch(flags -> flags instanceof Map<?, ?> m && m.containsKey("gradient-health"));
    }

    /** Per-seed differences of two keys a − b of one variant (seeds where both are measured). */
    private double[] keyDifferences(List<Run> runs, String section, String variant, String a,
            String b) {
        return runs.stream()
                .filter(r -> r.section().equals(section) && r.variant().equals(variant))
                .map(r -> results.get(r.id()))
                .filter(m -> m.get(a) instanceof Number && m.get(b) instanceof Number)
                .mapToDouble(m -> ((Number) m.get(a)).doubleValue() - ((Number) m.get(b)).doubleValue())
                .toArray();
    }

    private void writePage(List<Run> runs) throws IOException {
        StringBuilder page = new StringBuilder();
        page.append(PREAMBLE.formatted(arguments.points(), arguments.quick() ? " (quick run)" : ""));
        atSection(page, runs);
        stdSection(page, runs);
        odeSection(page, runs);
        if (arguments.mnist() != null) {
            mnistSection(page, runs);
            transferSection(page, runs);
        }
        analysisSection(page, runs);
        page.append(SCALE);
        Files.createDirectories(arguments.out().toAbsolutePath().getParent());
        AtomicFiles.writeString(arguments.out(), page.toString());
    }

    private void atSection(StringBuilder page, List<Run> runs) {
        page.append(AT);
        page.append("| block | clean | PGD-20 | PGD-20, head only | PGD-100 | AutoAttack (seed 0) |"
                + " noise σ=0.1 | noise σ=0.2 | train s |\n");
        page.append("|---|---|---|---|---|---|---|---|---|\n");
        for (String variant : List.of("relu", "cifs", "sparta", "silu", "nonlocal", "mean")) {
            page.append("| ").append(variant)
                    .append(" | ").append(Seeds.cell(values(runs, "at", variant, "clean")))
                    .append(" | ").append(Seeds.cell(values(runs, "at", variant, "pgd20")))
                    .append(" | ").append(Seeds.cell(values(runs, "at", variant, "pgd20_head")))
                    .append(" | ").append(Seeds.cell(values(runs, "at", variant, "pgd100")))
                    .append(" | ").append(Seeds.cell(values(runs, "at", variant, "autoattack")))
                    .append(" | ").append(Seeds.cell(values(runs, "at", variant, noiseKey(0.1f))))
                    .append(" | ").append(Seeds.cell(values(runs, "at", variant, noiseKey(0.2f))))
                    .append(" | ").append(seconds(values(runs, "at", variant, "train_seconds")))
                    .append(" |\n");
        }
        page.append(TRAIN_SECONDS);
        page.append('\n');
        for (Run run : runs) {
            if (run.section().equals("at") && results.get(run.id()).get("sanity_flags")
                    instanceof Map<?, ?> flags) {
                page.append("- Sanity checks of ").append(run.id()).append(": ")
                        .append(flags.isEmpty() ? "all passed" : flags.toString()).append('\n');
            }
        }
        page.append("\nThe papers' claims, as paired differences over seeds (block − ReLU):\n\n");
        page.append("- CIFS: PGD-20 (joint loss) at least +2 pts at equal clean accuracy: PGD-20 ")
                .append(Seeds.verdict(differences(runs, "at", "cifs", "relu", "pgd20"), 2))
                .append("; clean ")
                .append(Seeds.verdict(differences(runs, "at", "cifs", "relu", "clean"), -2))
                .append(". Attacked on the classifier's head alone instead of the joint loss, CIFS's"
                        + " PGD-20 accuracy moves by ")
                .append(Seeds.verdict(keyDifferences(runs, "at", "cifs", "pgd20_head", "pgd20"), 0))
                .append(": what an evaluation that ignores the probes would overstate. The mask"
                        + " sums to 2 over the block's 32 channels (as in the paper's code), so at"
                        + " the start it scales the features down by 16 on average (the paper's"
                        + " 512-channel ResNet-18 stage: by 256), which the layers after it must"
                        + " learn to undo.")
                .append(cifsShattered(runs) ? " The CIFS model fails the gradient-health sanity"
                        + " check (its input gradient disagrees with finite differences): the mask"
                        + " changes abruptly wherever the probe's two top classes swap, so the"
                        + " model's function jumps there, and the attack gradient (the mask held"
                        + " constant, the paper's semantics) is exact between the jumps but blind"
                        + " to them; AutoAttack's black-box Square is the check on that." : "")
                .append('\n');
        page.append("- Sparta: at least ReLU on both clean and PGD-20: clean ")
                .append(Seeds.verdict(differences(runs, "at", "sparta", "relu", "clean"), 0))
                .append("; PGD-20 ")
                .append(Seeds.verdict(differences(runs, "at", "sparta", "relu", "pgd20"), 0))
                .append(". Against SiLU, its starting point: PGD-20 ")
                .append(Seeds.verdict(differences(runs, "at", "sparta", "silu", "pgd20"), 0))
                .append(".\n");
        page.append("- Feature denoising with AT: PGD-100 +1 to +3 pts: non-local ")
                .append(Seeds.verdict(differences(runs, "at", "nonlocal", "relu", "pgd100"), 1))
                .append("; mean ")
                .append(Seeds.verdict(differences(runs, "at", "mean", "relu", "pgd100"), 1))
                .append(".\n\n");
    }

    private void stdSection(StringBuilder page, List<Run> runs) {
        page.append(STD);
        page.append("| block | clean | PGD-20 | noise σ=0.1 |\n|---|---|---|---|\n");
        for (String variant : List.of("relu", "nonlocal")) {
            page.append("| ").append(variant)
                    .append(" | ").append(Seeds.cell(values(runs, "std", variant, "clean")))
                    .append(" | ").append(Seeds.cell(values(runs, "std", variant, "pgd20")))
                    .append(" | ").append(Seeds.cell(values(runs, "std", variant, noiseKey(0.1f))))
                    .append(" |\n");
        }
        page.append("\nClaim: without AT a denoising block adds no robustness. Non-local − ReLU,"
                + " PGD-20: ").append(Seeds.verdict(differences(runs, "std", "nonlocal", "relu",
                        "pgd20"), 0)).append(" (here \"reproduced\" would contradict the claim;"
                        + " the claim holds when the difference is near zero).\n\n");
    }

    private void odeSection(StringBuilder page, List<Run> runs) {
        page.append(ODE);
        String tisodeNoise = noiseKey(100f / 255f);
        page.append("| network | clean | noise σ=100/255 | noise σ=0.2 | FGSM ε=0.1 | PGD-20 ε=0.1 |"
                + " train s |\n|---|---|---|---|---|---|---|\n");
        for (String variant : List.of("res-cnn", "odenet", "tisode")) {
            page.append("| ").append(variant)
                    .append(" | ").append(Seeds.cell(values(runs, "ode", variant, "clean")))
                    .append(" | ").append(Seeds.cell(values(runs, "ode", variant, tisodeNoise)))
                    .append(" | ").append(Seeds.cell(values(runs, "ode", variant, noiseKey(0.2f))))
                    .append(" | ").append(Seeds.cell(values(runs, "ode", variant, "fgsm_" + EPSILON)))
                    .append(" | ").append(Seeds.cell(values(runs, "ode", variant, "pgd20")))
                    .append(" | ").append(seconds(values(runs, "ode", variant, "train_seconds")))
                    .append(" |\n");
        }
        page.append("\nClaim: Gaussian-noise and FGSM accuracy ordered CNN < ODENet ≤ TisODE, at"
                + " least +2 pts from the CNN to the ODEs.\n\n");
        for (String key : List.of(tisodeNoise, "fgsm_" + EPSILON)) {
            String what = key.startsWith("noise") ? "noise σ=100/255" : "FGSM ε=0.1";
            page.append("- ").append(what).append(": ODENet − CNN ")
                    .append(Seeds.verdict(differences(runs, "ode", "odenet", "res-cnn", key), 2))
                    .append("; TisODE − ODENet ")
                    .append(Seeds.verdict(differences(runs, "ode", "tisode", "odenet", key), 0))
                    .append(".\n");
        }
        page.append("- PGD-20 (the strong attack the repository's log does not run): ODENet − CNN ")
                .append(Seeds.verdict(differences(runs, "ode", "odenet", "res-cnn", "pgd20"), 2))
                .append("; TisODE − CNN ")
                .append(Seeds.verdict(differences(runs, "ode", "tisode", "res-cnn", "pgd20"), 2))
                .append(".\n\n");
    }

    private void mnistSection(StringBuilder page, List<Run> runs) {
        page.append(MNIST);
        page.append("| network | clean | FGSM 0.15 | FGSM 0.3 | FGSM 0.5 | PGD-20 0.3 |"
                + " noise σ=100/255 |\n|---|---|---|---|---|---|---|\n");
        for (String variant : List.of("res-cnn", "odenet", "tisode")) {
            page.append("| ").append(variant)
                    .append(" | ").append(Seeds.cell(values(runs, "mnist-ode", variant, "clean")));
            for (float e : MNIST_FGSM) {
                page.append(" | ").append(Seeds.cell(values(runs, "mnist-ode", variant, "fgsm_" + e)));
            }
            page.append(" | ").append(Seeds.cell(values(runs, "mnist-ode", variant, "pgd20")))
                    .append(" | ").append(Seeds.cell(values(runs, "mnist-ode", variant,
                            noiseKey(100f / 255f))))
                    .append(" |\n");
        }
        page.append(MNIST_PAPER);
    }

    private void transferSection(StringBuilder page, List<Run> runs) {
        page.append(TRANSFER);
        page.append("| activation | clean | PGD-20 |\n|---|---|---|\n");
        for (String variant : List.of("relu", "sparta", "sparta-from-fashion")) {
            page.append("| ").append(variant)
                    .append(" | ").append(Seeds.cell(values(runs, "transfer", variant, "clean")))
                    .append(" | ").append(Seeds.cell(values(runs, "transfer", variant, "pgd20")))
                    .append(" |\n");
        }
        page.append('\n');
    }

    private void analysisSection(StringBuilder page, List<Run> runs) {
        page.append(ANALYSES);
        String directory = pictureDirectory().getFileName().toString();
        for (Run run : runs) {
            Map<String, Object> result = results.get(run.id());
            if (result.get("channels") instanceof String table) {
                page.append("#### Channels of ").append(run.id()).append("\n\n")
                        .append("![channels](").append(directory).append('/').append(run.id())
                        .append('-').append(ChannelAnalysis.CHART).append(")\n\n```\n")
                        .append(table.strip()).append("\n```\n\n");
            }
            if (result.get("classes") instanceof String table) {
                page.append("#### Class pairs of ").append(run.id()).append("\n\n")
                        .append("![class pairs](").append(directory).append('/').append(run.id())
                        .append('-').append(ClassPairAnalysis.CHART).append(")\n\n```\n")
                        .append(table.strip()).append("\n```\n\n");
            }
        }
    }

    private static String seconds(double[] v) {
        return v.length == 0 ? "–" : String.format(Locale.ROOT, "%.0f", Seeds.mean(v));
    }

    private static final String PREAMBLE = """
            # Robust architectures

            Regenerated by `./architecture-table --mnist ../shared/data/mnist` (models and measured \
            values are cached in `runs/architectures`; a run that is cut short continues). Each \
            block of methods/defenses.md §2 is measured against the same network without it, on \
            the first %d test images, accuracies in percent as mean ± sd over seeds%s. \
            Intervals are 95%% t intervals of the paired per-seed difference; with three seeds \
            they are wide, and a claim is called reproduced only when the mean reaches it and the \
            interval excludes zero.

            """;

    private static final String AT = """
            ## Blocks under adversarial training (Fashion-MNIST, L∞ ε = 0.1)

            `cnn3` (conv16-conv32-conv32, fc128) trained with PGD-AT (5 steps of ε/2, random \
            start; Adam 1e-3, batch 128) on the first 6,000 training images for 3 epochs, seeds \
            0–2, with each block in turn: CIFS (linear probe after the last convolution, β = 2, \
            joint loss in training and in every attack), Sparta in every convolutional stage, \
            SiLU (Sparta's starting point), a non-local (Gaussian) and a mean denoising block on \
            the 14×14 map. PGD-20 and PGD-100: step ε/4, random start. Noise: one Gaussian draw \
            per image, clipped to [0, 1]. AutoAttack (standard) runs on seed 0 only (its cost on two \
            cores), on the same 500 points, with the evaluation's full sanity checks (a model that \
            masks its gradients fails them; flags are listed under the table).

            """;

    private static final String TRAIN_SECONDS = """

            "train s" is the mean wall time of training on this machine, some of it with other \
            work running beside it: `./bench architectures` measures each block's cost side by \
            side (docs/performance.md).
            """;

    private static final String STD = """
            ## Denoising without adversarial training

            The same `cnn3`, plain and with the non-local block, trained without AT (same data, \
            epochs and seeds).

            """;

    private static final String ODE = """
            ## Neural ODEs (Fashion-MNIST)

            `res-cnn` (the CNN: the same feature extractor and one residual block z + f(z)), \
            `odenet` (f(t, z) with the time channel, Euler step 0.1 from 0 to 1) and `tisode` \
            (time-invariant f, Euler step 0.1, the steady-state regularizer 0.01·∫|f| over \
            [0.9, 1.5] in training), width 16, trained with Gaussian-noise augmentation (½ of \
            the images, σ ∈ {50, 75, 100}/255) on the first 20,000 training images for 2 epochs \
            with Adam 5e-3 (at 1e-3 these GroupNorm networks with global pooling learn too slowly \
            for two epochs: res-cnn reached 58%), seeds 0–2, without AT. GroupNorm has C/2 groups \
            (at most 32), two channels per group as in the paper's 64-channel networks.

            """;

    private static final String MNIST = """
            ## TisODE's FGSM table (MNIST)

            The three networks trained as above on MNIST (`../shared/data/mnist`), seed 0.

            """;

    private static final String MNIST_PAPER = """

            The TisODE repository's log (MNIST, its 64-channel networks, 100 epochs), accuracy \
            under FGSM: ε = 0.15: CNN 85.5, ODENet 93–94; ε = 0.3: CNN 52–54, ODENet 70–72, \
            TisODE 75–79; ε = 0.5: CNN 14–17, ODENet 19–21, TisODE 28–38. At this budget the three \
            networks stay far below the paper's clean accuracy (over 99% on MNIST; see the clean \
            column): two epochs, 16 channels, and a global average over positions that leaves \
            the classifier 16 numbers. This section therefore compares the robustness of weak \
            models and can neither confirm nor refute the paper's ordering.

            """;

    private static final String TRANSFER = """
            ## Sparta's transfer (Fashion-MNIST → MNIST)

            PGD-AT (as above, ε = 0.1) on MNIST, seed 0: ReLU, Sparta trained there, and the \
            Sparta modules of the Fashion-MNIST seed-0 model reused frozen \
            (`parry train --activation sparta --sparta-from MODEL`).

            """;

    private static final String ANALYSES = """
            ## Analyses (seed-0 models, PGD-20 at ε = 0.1)

            `parry analyze channels` on the adversarially trained ReLU and CIFS models (CIFS's \
            observation: an attack raises the activations of channels negatively relevant to \
            the true class and lowers the positively relevant ones), and `parry analyze classes` \
            on the ReLU models (which class pairs absorb the attack).

            """;

    private static final String SCALE = """
            ## Where this scale differs from the papers

            The papers train ResNet-18 / WRN on CIFAR-10 for 100–120 epochs (CIFS, Sparta), \
            ResNet-152 on ImageNet (feature denoising), and 64-channel ODE networks for 100 \
            epochs (TisODE). Here every network is trained for minutes on two CPU cores, with \
            three seeds; differences of a point or two are within seed noise at this size, and \
            the intervals say so. Sparta's formula is reconstructed (no public code).
            """;
}
