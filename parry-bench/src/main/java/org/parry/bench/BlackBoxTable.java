package org.parry.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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
import org.parry.attack.AttackOptions;
import org.parry.attack.AttackRegistry;
import org.parry.attack.Substitute;
import org.parry.attack.SubstituteRound;
import org.parry.attack.SubstituteTraining;
import org.parry.attack.OnePixel;
import org.parry.attack.TransferAttack;
import org.parry.attack.Universal;
import org.parry.attack.UniversalPerturbation;
import org.parry.data.Batch;
import org.parry.data.DataSets;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.defense.StageRegistry;
import org.parry.eval.AttackTally;
import org.parry.eval.DataSetAttack;
import org.parry.eval.DestructionRate;
import org.parry.eval.TransferMatrix;
import org.parry.io.AtomicFiles;
import org.parry.model.BlockClassifier;
import org.parry.model.Classifier;
import org.parry.model.NoGradientClassifier;
import org.parry.model.Stage;
import org.parry.norm.Norm;
import org.parry.norm.RandomNoise;

/**
 * Regenerates {@code docs/black-box.md}: the lecture's black-box half at the scale of two CPU
 * cores, on MNIST (when its files are given) and Fashion-MNIST. Every section is measured once and
 * cached as a page fragment in the work directory, so a run that is cut short continues; the page
 * is rewritten after each section. The models are {@link BlackBoxModels}'.
 *
 * <pre>
 * black-box-table [--work DIR] [--out FILE] [--mnist DIR] [--points N] [--quick]
 * </pre>
 */
public final class BlackBoxTable {

    private static final int BATCH = 125;
    private static final long SEED = 7;
    private static final int PIXEL_IMAGES = 50;
    private static final int GENERATIONS = 40;

    /**
     * One data set of the page: its threat model, the epochs of its standard target, and whether
     * the ensemble-adversarial-training table (which needs the adversarially trained targets) is
     * measured on it.
     */
    record Setup(String dataset, Path dataDirectory, float epsilon, int epochs,
            boolean ensembleTable) {

        /** The models this data set's sections attack. */
        List<String> models() {
            return ensembleTable ? BlackBoxModels.IDS : List.of("a", "static-mlp", "b");
        }
    }

    /** Measures one section of the page and renders it as Markdown. */
    @FunctionalInterface
    private interface Section {
        String measure() throws IOException;
    }

    private final Path work;
    private final Path out;
    private final int points;
    private final List<Setup> setups;
    private final PrintStream log;
    private final Map<String, String> fragments = new LinkedHashMap<>();

    private BlackBoxTable(Path work, Path out, int points, List<Setup> setups, PrintStream log) {
        this.work = work;
        this.out = out;
        this.points = points;
        this.setups = setups;
        this.log = log;
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        TableArguments arguments = TableArguments.parse(args, "black-box-table", "black-box");
        boolean quick = arguments.quick();
        List<Setup> setups = new ArrayList<>();
        if (arguments.mnist() != null) {
            setups.add(new Setup("mnist", arguments.mnist(), 0.3f, quick ? 1 : 6, true));
        }
        setups.add(new Setup("fashion-mnist", null, 0.1f, quick ? 1 : 3, false));
        new BlackBoxTable(quick ? arguments.work().resolve("quick") : arguments.work(),
                arguments.out(), quick ? 50 : arguments.points(), setups,
                System.err).run();
    }

    private void run() throws IOException {
        Files.createDirectories(work);
        for (Setup setup : setups) {
            BlackBoxModels models = new BlackBoxModels(work, setup.dataset(), setup.dataDirectory(),
                    setup.epsilon(), setup.epochs(), log);
            for (String id : setup.models()) {
                models.prepare(id);
            }
            ImageDataset test = DataSets.load(setup.dataset(), setup.dataDirectory(), Split.TEST)
                    .first(points);
            if (setup.ensembleTable()) {
                section(setup, "ensemble", () -> ensemble(setup, models, test));
            }
            section(setup, "substitute", () -> substitute(setup, models, test));
            section(setup, "universal", () -> universal(setup, models, test));
            section(setup, "one-pixel", () -> onePixel(models, test));
            section(setup, "physical", () -> physical(setup, models, test));
        }
        log.println("wrote " + out);
    }

    /** Measures a section unless the work directory holds it, then rewrites the page. */
    private void section(Setup setup, String name, Section section) throws IOException {
        Path cache = work.resolve(setup.dataset() + "-" + name + "-" + points + ".md");
        if (!Files.isRegularFile(cache)) {
            log.println(setup.dataset() + ": measuring " + name + "...");
            AtomicFiles.writeString(cache, section.measure());
        }
        fragments.put(setup.dataset() + "/" + name, Files.readString(cache));
        writePage();
    }

    /**
     * The black-box table of Tramèr et al. (ICLR 2018) in the lecture's form: error rates of the
     * standard target A, the FGSM-trained A_adv and the ensemble-trained A_adv-ens under
     * white-box FGSM and under FGSM, I-FGSM, RAND+FGSM and an iterative C&amp;W-loss attack
     * transferred from the held-out source B, with the worst black-box error over every other
     * model of the matrix.
     */
    private String ensemble(Setup setup, BlackBoxModels models, ImageDataset test)
            throws IOException {
        List<String> ids = List.of("a", "a-adv", "a-adv-ens", "b");
        float epsilon = setup.epsilon();
        List<Attack> attacks = List.of(
                AttackRegistry.create("fgsm", new AttackOptions(Norm.LINF, epsilon, null, SEED,
                        Map.of())),
                AttackRegistry.create("bim", new AttackOptions(Norm.LINF, epsilon, 10, SEED,
                        Map.of("stepSize", Float.toString(epsilon / 10), "earlyStop", "false"))),
                AttackRegistry.create("rand-fgsm", new AttackOptions(Norm.LINF, epsilon, null, SEED,
                        Map.of())),
                AttackRegistry.create("pgd", new AttackOptions(Norm.LINF, epsilon, 10, SEED,
                        Map.of("loss", "cw", "confidence", "1000", "randomStart", "false",
                                "earlyStop", "false", "stepSize", Float.toString(epsilon / 10)))));
        List<BlockClassifier> loaded = new ArrayList<>();
        TransferMatrix matrix;
        try {
            List<TransferMatrix.Model> entries = new ArrayList<>();
            for (String id : ids) {
                BlockClassifier model = models.load(id);
                loaded.add(model);
                entries.add(new TransferMatrix.Model(id, model));
            }
            matrix = TransferMatrix.measure(entries, attacks, test, BATCH, done -> {});
        } finally {
            loaded.forEach(BlockClassifier::close);
        }
        int b = ids.indexOf("b");
        List<TransferMatrix.Worst> worst = matrix.worstBlackBox();
        StringBuilder md = new StringBuilder();
        md.append("| model | clean | white-box FGSM | FGSM_B | I-FGSM_B | RAND+FGSM_B | CW_B"
                + " | worst black-box (source, attack) |\n|---|---|---|---|---|---|---|---|\n");
        List<String> names = List.of("A (standard)", "A_adv (FGSM AT)", "A_adv-ens (ensemble AT)");
        for (int t = 0; t < names.size(); t++) {
            md.append("| ").append(names.get(t)).append(" | ")
                    .append(percent(matrix.cleanError()[t])).append(" | ")
                    .append(percent(matrix.errorRate(0, t, t)));
            for (int a = 0; a < attacks.size(); a++) {
                md.append(" | ").append(percent(matrix.errorRate(a, b, t)));
            }
            TransferMatrix.Worst w = worst.get(t);
            md.append(" | ").append(percent(w.errorRate())).append(" (").append(w.source())
                    .append(", ").append(w.attack()).append(") |\n");
        }
        md.append(String.format(Locale.ROOT, "%nError rates on %d test images (all samples the"
                + " target gets wrong, clean errors included). B's own white-box errors: FGSM %s,"
                + " I-FGSM %s.%n", matrix.n(), percent(matrix.errorRate(0, b, b)),
                percent(matrix.errorRate(1, b, b))));
        int adv = 1;
        int ens = 2;
        int lower = 0;
        for (int a = 0; a < attacks.size(); a++) {
            lower += matrix.errorRate(a, b, ens) < matrix.errorRate(a, b, adv) ? 1 : 0;
        }
        md.append(String.format(Locale.ROOT, "%n**Claim** (ensemble training lowers the black-box"
                + " error below FGSM training's): A_adv-ens is below A_adv on %d of the %d attacks"
                + " from B, and its worst black-box error is %s against A_adv's %s. **Claim** (A_adv"
                + " has the lowest white-box FGSM error): %s (A_adv %s, A_adv-ens %s, A %s).%n",
                lower, attacks.size(), percent(worst.get(ens).errorRate()),
                percent(worst.get(adv).errorRate()),
                matrix.errorRate(0, adv, adv) <= Math.min(matrix.errorRate(0, ens, ens),
                        matrix.errorRate(0, 0, 0)) ? "reproduced" : "not reproduced",
                percent(matrix.errorRate(0, adv, adv)), percent(matrix.errorRate(0, ens, ens)),
                percent(matrix.errorRate(0, 0, 0))));
        return md.toString();
    }

    /**
     * Papernot et al.'s substitute (ASIA CCS 2017): a small-cnn trained on the oracle A's labels
     * of 150 held-out test images and their Jacobian-based augmentations, six rounds; its
     * agreement with A per round, the queries, and A's error on FGSM examples crafted on it
     * against sign noise of the same ε.
     */
    private String substitute(Setup setup, BlackBoxModels models, ImageDataset test)
            throws IOException {
        ImageDataset all = DataSets.load(setup.dataset(), setup.dataDirectory(), Split.TEST);
        int seedSize = 150;
        int heldOut = 500;
        int from = all.size() - seedSize - heldOut;
        ImageDataset initial = all.select(range(from, from + seedSize));
        ImageDataset agreement = all.select(range(from + seedSize, all.size()));
        SubstituteTraining training = SubstituteTraining.builder().optSeed(SEED).build();
        StringBuilder md = new StringBuilder();
        try (BlockClassifier oracle = models.load("a");
                Substitute substitute = training.train(NoGradientClassifier.of(oracle.name(),
                        oracle.inputShape(), oracle.numClasses(), oracle::logits), initial,
                        agreement, round -> {})) {
            md.append("| round | λ | set size | oracle queries | agreement with the oracle"
                    + " | substitute accuracy |\n|---|---|---|---|---|---|\n");
            for (SubstituteRound round : substitute.rounds()) {
                md.append(String.format(Locale.ROOT, "| %d | %+.2f | %d | %d | %s | %s |%n",
                        round.round(), round.lambda(), round.setSize(), round.queries(),
                        percent(round.agreement()), percent(round.accuracy())));
            }
            Attack fgsm = AttackRegistry.create("fgsm", new AttackOptions(Norm.LINF,
                    setup.epsilon(), null, SEED, Map.of()));
            AttackTally transfer = new DataSetAttack(new TransferAttack(substitute.model(), fgsm),
                    null, BATCH, SEED, false).run(oracle, test, (done, rate) -> {});
            md.append(String.format(Locale.ROOT, "%nOracle error on FGSM (ε = %s) examples crafted"
                    + " on the substitute: %s of %d test images (sign noise of the same ε: %s;"
                    + " clean: %s); %d oracle queries in all.%n", setup.epsilon(),
                    percent(1 - transfer.adversarialAccuracy()), transfer.size(),
                    percent(signNoiseError(oracle, test, setup.epsilon())),
                    percent(1 - transfer.cleanAccuracy()), substitute.queries()));
        }
        return md.toString();
    }

    /**
     * Universal perturbations (Moosavi-Dezfooli et al., CVPR 2017): an L∞ v fitted on 1,000
     * training images of the standard target A for each ξ, its fooling rate on the held-out test
     * images against a random sign vector of the same norm, and its transfer to B and the MLP.
     */
    private String universal(Setup setup, BlackBoxModels models, ImageDataset test)
            throws IOException {
        ImageDataset fitting = DataSets.load(setup.dataset(), setup.dataDirectory(), Split.TRAIN)
                .shuffled(SEED).first(1000);
        float e = setup.epsilon();
        StringBuilder md = new StringBuilder();
        md.append("| ξ (L∞) | passes | fooling on the fitting set | fooling on A (held out)"
                + " | random v, same norm | accuracy of A under v | fooling on B (madry-cnn)"
                + " | fooling on the MLP |\n|---|---|---|---|---|---|---|---|\n");
        int above = 0;
        try (BlockClassifier a = models.load("a"); BlockClassifier b = models.load("b");
                BlockClassifier mlp = models.load("static-mlp")) {
            for (float xi : List.of(e / 2, e, 1.5f * e)) {
                Universal v = UniversalPerturbation.builder(Norm.LINF, xi).optPasses(5)
                        .optSeed(SEED).build().fit(a, fitting, BATCH, (pass, rate) -> {});
                Universal.Evaluation onA = v.evaluate(a, test, BATCH);
                Universal random = randomSign(v);
                md.append(String.format(Locale.ROOT, "| %.3f | %d | %s | %s | %s | %s | %s | %s |%n",
                        xi, v.passes(), percent(v.foolingRate()), percent(onA.foolingRate()),
                        percent(random.evaluate(a, test, BATCH).foolingRate()),
                        percent(onA.accuracy()), percent(v.evaluate(b, test, BATCH).foolingRate()),
                        percent(v.evaluate(mlp, test, BATCH).foolingRate())));
                above += onA.foolingRate() > random.evaluate(a, test, BATCH).foolingRate() + 0.05
                        ? 1 : 0;
            }
        }
        md.append(String.format(Locale.ROOT, "%n**Claim** (one perturbation fools most held-out"
                + " images, far more than random noise of its norm): v beats the random vector by"
                + " more than 5 points at %d of the 3 radii.%n", above));
        return md.toString();
    }

    /** A vector of the same shape and L∞ norm as {@code v}: ±ξ at random per value. */
    private static Universal randomSign(Universal v) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(SEED);
        float[] values = new float[v.values().length];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextBoolean() ? v.epsilon() : -v.epsilon();
        }
        return new Universal(values, v.shape(), v.bounds(), v.norm(), v.epsilon(),
                Map.of("random", true), v.model(), "random signs", 0, new double[0], 0, 0, 0, 0);
    }

    /**
     * The one-pixel attack (Su et al. 2019): untargeted success with d = 1, 3 and 5 pixels on the
     * first {@value #PIXEL_IMAGES} clean-correct test images of the standard small-cnn A and the
     * MLP, differential evolution with a population of 400 for at most {@value #GENERATIONS}
     * generations.
     */
    private String onePixel(BlackBoxModels models, ImageDataset test) throws IOException {
        ImageDataset images = test.first(PIXEL_IMAGES);
        StringBuilder md = new StringBuilder();
        md.append("| model | d | success | median queries per success | mean confidence of the"
                + " adversarial class |\n|---|---|---|---|---|\n");
        for (String id : List.of("a", "static-mlp")) {
            try (BlockClassifier model = models.load(id)) {
                for (int d : new int[] {1, 3, 5}) {
                    AttackTally tally = new DataSetAttack(new OnePixel(d, 400, GENERATIONS, 0.5f,
                            SEED), null, 25, SEED, false).run(model, images, (done, rate) -> {});
                    md.append(String.format(Locale.ROOT, "| %s | %d | %s (%d/%d) | %.0f | %s |%n",
                            model.name(), d, percent(tally.successRate()), tally.successes(),
                            tally.successDenominator(),
                            tally.overSuccesses(tally.sampleQueries()).median(),
                            percent(tally.meanAdversarialConfidence())));
                }
            }
        }
        return md.toString();
    }

    /** The error of {@code model} on clip(x + ε·s), s a random sign per pixel. */
    private static double signNoiseError(Classifier model, ImageDataset test, float epsilon) {
        long wrong = 0;
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int start = 0; start < test.size(); start += BATCH) {
                try (NDManager scope = manager.newSubManager()) {
                    Batch batch = test.batch(scope, start, Math.min(test.size(), start + BATCH));
                    NDArray sign = RandomNoise.uniform(scope, batch.x().getShape(), -1f, 1f,
                            SEED + start).sign();
                    NDArray noisy = model.bounds().clip(batch.x().add(sign.mul(epsilon)));
                    wrong += model.logits(noisy).argMax(1).toType(DataType.INT64, false)
                            .neq(batch.y().toType(DataType.INT64, false)).sum().getLong();
                }
            }
        }
        return (double) wrong / test.size();
    }

    private static int[] range(int from, int to) {
        return java.util.stream.IntStream.range(from, to).toArray();
    }

    /**
     * Kurakin, Goodfellow and Bengio (ICLR workshop 2017), the photo experiment in software:
     * FGSM and BIM examples at the lecture's ε = 16/255 and 8/255 on the standard target, and the
     * destruction rate of each photo-like transform of {@link DestructionRate#PAPER_TRANSFORMS}.
     */
    private String physical(Setup setup, BlackBoxModels models, ImageDataset test)
            throws IOException {
        List<String> methods = List.of("fgsm", "bim");
        List<Float> epsilons = List.of(16f / 255, 8f / 255);
        List<String> columns = new ArrayList<>();
        Map<String, List<DestructionRate>> rates = new LinkedHashMap<>();
        try (BlockClassifier model = models.load("a")) {
            List<Stage> transforms = new ArrayList<>();
            for (String spec : DestructionRate.PAPER_TRANSFORMS) {
                transforms.add(StageRegistry.transform(spec));
            }
            try {
                for (float epsilon : epsilons) {
                    for (String method : methods) {
                        Attack attack = AttackRegistry.create(method, new AttackOptions(Norm.LINF,
                                epsilon, null, SEED, method.equals("bim")
                                        ? Map.of("earlyStop", "false") : Map.of()));
                        AttackTally tally = new DataSetAttack(attack, null, BATCH, SEED, true)
                                .run(model, test, (done, rate) -> {});
                        String column = String.format(Locale.ROOT, "%s ε=%d/255 (%d/%d)",
                                method.toUpperCase(Locale.ROOT), Math.round(epsilon * 255),
                                tally.successes(), tally.cleanCorrect());
                        columns.add(column);
                        rates.put(column, DestructionRate.table(model, tally, transforms, BATCH,
                                SEED));
                    }
                }
            } finally {
                transforms.forEach(Stage::close);
            }
        }
        StringBuilder md = new StringBuilder();
        md.append("| transform | accuracy on T(clean)");
        columns.forEach(column -> md.append(" | ").append(column));
        md.append(" |\n|---|---");
        columns.forEach(column -> md.append("|---"));
        md.append("|\n");
        for (int t = 0; t < DestructionRate.PAPER_TRANSFORMS.size(); t++) {
            DestructionRate first = rates.get(columns.get(0)).get(t);
            md.append("| `").append(DestructionRate.PAPER_TRANSFORMS.get(t)).append("` | ")
                    .append(percent(first.transformedCleanAccuracy()));
            for (String column : columns) {
                DestructionRate rate = rates.get(column).get(t);
                md.append(" | ").append(percent(rate.rate())).append(" (top-5 ")
                        .append(percent(rate.rateTop5())).append(")");
            }
            md.append(" |\n");
        }
        md.append("\n**Claim** (fast examples survive the transforms better than iterative ones):");
        for (int e = 0; e < epsilons.size(); e++) {
            List<DestructionRate> fast = rates.get(columns.get(2 * e));
            List<DestructionRate> iterative = rates.get(columns.get(2 * e + 1));
            int survives = 0;
            double fastMean = 0;
            double iterativeMean = 0;
            for (int t = 0; t < fast.size(); t++) {
                survives += fast.get(t).rate() < iterative.get(t).rate() ? 1 : 0;
                fastMean += fast.get(t).rate() / fast.size();
                iterativeMean += iterative.get(t).rate() / fast.size();
            }
            md.append(String.format(Locale.ROOT, " at ε = %d/255 FGSM is destroyed less often on %d"
                    + " of %d transforms (mean destruction %s against BIM's %s)%s",
                    Math.round(epsilons.get(e) * 255), survives, fast.size(), percent(fastMean),
                    percent(iterativeMean), e + 1 < epsilons.size() ? ";" : ".\n"));
        }
        return md.toString();
    }

    private static String percent(double value) {
        return Double.isNaN(value) ? "n/a" : String.format(Locale.ROOT, "%.1f%%", 100 * value);
    }

    private void writePage() throws IOException {
        StringBuilder page = new StringBuilder();
        page.append("# Black-box, transfer, universal and physical-world attacks\n\n")
                .append("Regenerated by `./black-box-table")
                .append(points == 500 ? "" : " --points " + points)
                .append(setups.size() > 1 ? " --mnist DIR" : "").append("` (Parry ")
                .append(Versions.parry()).append(", PyTorch ").append(Versions.pytorch())
                .append("); every number was measured by that command on this machine (2 cores,"
                        + " no GPU). Do not edit by hand.\n");
        for (Setup setup : setups) {
            page.append(String.format(Locale.ROOT, "%n## %s (L∞ ε = %s, first %d test images)%n",
                    setup.dataset(), setup.epsilon(), points));
            String ensemble = fragments.get(setup.dataset() + "/ensemble");
            if (ensemble != null) {
                page.append("\n### Transfer to adversarially trained models (Tramèr et al. 2018)\n\n")
                        .append(ENSEMBLE).append('\n').append(ensemble);
            }
            String substitute = fragments.get(setup.dataset() + "/substitute");
            if (substitute != null) {
                page.append("\n### Substitute training from labels only (Papernot et al. 2017)\n\n")
                        .append(SUBSTITUTE).append('\n').append(substitute);
            }
            String universal = fragments.get(setup.dataset() + "/universal");
            if (universal != null) {
                page.append("\n### Universal perturbations (Moosavi-Dezfooli et al. 2017)\n\n")
                        .append(UNIVERSAL).append('\n').append(universal);
            }
            String pixel = fragments.get(setup.dataset() + "/one-pixel");
            if (pixel != null) {
                page.append("\n### One-pixel attack (Su et al. 2019)\n\n")
                        .append(ONE_PIXEL).append('\n').append(pixel);
            }
            String physical = fragments.get(setup.dataset() + "/physical");
            if (physical != null) {
                page.append("\n### Photo-like transforms: destruction rates (Kurakin et al. 2017)\n\n")
                        .append(PHYSICAL).append('\n').append(physical);
            }
        }
        AtomicFiles.writeString(out, page.toString());
    }

    private static final String ENSEMBLE = """
            Targets: A, a standard small-cnn; A_adv, a small-cnn trained with FGSM examples \
            (Goodfellow et al.'s mixed loss, predicted labels); A_adv-ens, a small-cnn trained with \
            ensemble adversarial training (FGSM from itself and, in turn, two static models, an MLP \
            and LeNet-5). B, the held-out source, is a madry-cnn that no target's training saw. \
            I-FGSM and the C&W-loss attack (the margin max_{j≠y} z_j − z_y, not clamped: κ = \
            1000; clamped at κ = 0 it stops moving once B is fooled and hardly transfers) take 10 \
            steps of ε/10 and run all of them \
            (`earlyStop=false`: an example that stops as soon as it crosses B's boundary hardly \
            transfers); RAND+FGSM steps α = ε/2 at random, then ε − α. The lecture's table (MNIST, ε = 0.3, 6 epochs), error %: A \
            clean 0.9, white-box FGSM 71.4, FGSM_B 62.4, I-FGSM_B 79.4, RAND+FGSM_B 58.3, CW_B \
            82.4; A_adv 1.0, 3.6, 18.2, 19.8, 12.4, 21.8; A_adv-ens 0.9, 11.8, 5.0, 9.7, 3.4, \
            13.7. The claim to check: ensemble training lowers the black-box errors below \
            A_adv's, while A_adv's white-box FGSM error is the lowest (it has learned to mask its \
            own gradient).
            """;

    private static final String SUBSTITUTE = """
            The oracle is the standard small-cnn A, asked for labels only. The substitute (a \
            small-cnn, 10 epochs per round, λ = 0.1 with its sign flipped every 3 rounds) starts \
            from 150 test images that the evaluation does not use, and measures its agreement with \
            the oracle on 500 more. The paper (MNIST, oracle MetaMind): about 81% substitute \
            accuracy after 6 rounds and 84.24% of ε = 0.3 FGSM examples misclassified by the \
            oracle.
            """;

    private static final String UNIVERSAL = """
            One L∞ perturbation v per ξ, fitted on 1,000 shuffled training images of the standard \
            small-cnn A (DeepFool inner steps, at most 5 passes, stopping at 80% fooling), then \
            added to the held-out test images as clip(x + v). The fooling rate is the share of \
            images whose prediction changes (against the clean prediction, not the label). The \
            baseline is a random ±ξ vector; the last two columns apply A's v to models it never \
            saw. The paper reports 78–93% fooling on ImageNet at ξ = 10/255; it has no MNIST \
            numbers.
            """;

    private static final String ONE_PIXEL = """
            Untargeted, scores only: differential evolution (DE/rand/1, F = 0.5, population 400, \
            at most 40 generations, the paper's 100 cut for two cores) minimizes the label's \
            probability over d pixels (row, column, value); the queries are the model's forward \
            passes for the image, whole generations included. Success is over the \
            clean-correct images among the first 50. The paper reports 68–72% for one pixel on \
            CIFAR-10's 32×32 colour images; a 28×28 grey digit gives one pixel less room.
            """;

    private static final String PHYSICAL = """
            FGSM and BIM examples crafted on the standard small-cnn at the lecture's ε (16/255 and \
            8/255; BIM runs all of the paper's iterations, `earlyStop=false`), then passed through \
            each transform. The destruction rate is the fraction of \
            successful adversarial examples (on clean-correct images; counts in the column \
            heading) that the transform turns back into a correct prediction (top-5: the label \
            among the five largest logits). The lecture's finding on photographs (Inception v3): \
            fast examples survive better than iterative ones, whose finer perturbations are \
            destroyed more often.
            """;
}
