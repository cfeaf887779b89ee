package org.parry.experiments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.parry.analysis.ClassPairAnalysis;
import org.parry.analysis.Progress;
import org.parry.attack.Attack;
import org.parry.attack.Fgsm;
import org.parry.attack.MiFgsm;
import org.parry.attack.Pgd;
import org.parry.attack.TransferAttack;
import org.parry.eval.Measure;
import org.parry.eval.Measures;
import org.parry.loss.AttackLoss;
import org.parry.model.BlockClassifier;
import org.parry.model.SavedModel;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.model.zoo.ClassifierHead;
import org.parry.model.zoo.Nonlinearity;
import org.parry.norm.Norm;
import org.parry.train.TrainingRecipe;

/**
 * The models of docs/defenses.md, section by section: how each is trained ({@link
 * TrainingRecipe}) and what is measured on it ({@link Measure}). Nothing here computes; {@link
 * DefenseTable} runs the grid through {@link org.parry.eval.DefenseComparison} and {@link
 * DefensePage} renders the results.
 */
public final class DefenseGrid {

    /** The main table's radius (Fashion-MNIST, L∞). */
    public static final float EPSILON = 0.1f;
    /** The catastrophic-overfitting experiment's radius. */
    public static final float OVERFITTING_EPSILON = 0.2f;
    /** Goodfellow et al.'s MNIST radius. */
    public static final float GOODFELLOW_EPSILON = 0.25f;
    /** Madry et al.'s MNIST radius. */
    public static final float MADRY_EPSILON = 0.3f;
    /** Madry et al.'s Adam learning rate (Parry's default, 1e-3, leaves madry-cnn at chance). */
    public static final float MADRY_LEARNING_RATE = 1e-4f;
    /** Test images of every measure but AutoAttack. */
    public static final int TEST_POINTS = 1000;
    /** Seeds of the overfitting runs. */
    public static final int OVERFITTING_SEEDS = 3;
    /** Seeds of the adversarial-training family's runs whose claimed effect is small. */
    public static final int FAMILY_SEEDS = 3;
    /** The radius of LADDER's FGSM claim. */
    public static final float LADDER_FGSM_EPSILON = 0.05f;
    /**
     * Fashion-MNIST's classes that attacks confuse with each other (SPAT's hard-class pairs):
     * T-shirt/top, pullover, coat, shirt.
     */
    public static final int[] HARD_CLASSES = {0, 2, 4, 6};
    /** The variants SPAT's hard-class observation is measured on. */
    static final List<String> HARD_CLASS_VARIANTS = List.of("standard", "trades", "spat");
    /** The variants the transfer attack from the surrogates is measured on. */
    static final List<String> TRANSFER_VARIANTS = List.of("standard", "pgd-at", "jsigr",
            "jsigr-weak");
    /** The architectures of the two standard surrogates the transfer attack is crafted on. */
    public static final List<String> SURROGATES = List.of("small-cnn", "lenet5");
    /** The surrogates' training seed, unlike every family model's. */
    public static final long SURROGATE_SEED = 10;

    /**
     * One trained model.
     *
     * @param id its directory name in the work directory and its key in the results
     * @param label how the page names it
     * @param recipe how it is trained
     * @param measures what is measured on it (none for models trained for another's sake, such
     *     as a distillation teacher or ensemble-AT's static sources)
     */
    public record Row(String id, String label, TrainingRecipe recipe, List<Measure> measures) {

        public Row {
            measures = List.copyOf(measures);
        }

        /** Whether the page shows it (it has measures). */
        public boolean shown() {
            return !measures.isEmpty();
        }
    }

    /**
     * One section of the page.
     *
     * @param id its name on the command line ({@code main}, {@code overfitting}, ...)
     * @param heading its Markdown heading, without the {@code ## }
     * @param rows its models, in training order
     */
    public record Section(String id, String heading, List<Row> rows) {

        public Section {
            rows = List.copyOf(rows);
        }

        /** The row {@code id}. */
        public Row row(String id) {
            return rows.stream().filter(r -> r.id().equals(id)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no model '" + id
                            + "' in section " + this.id));
        }
    }

    private final Path work;
    private final boolean quick;
    private final int autoAttackPoints;

    /**
     * @param work the work directory (ensemble AT and distillation name their source models by
     *     their directory there)
     * @param quick a smoke test: every training set scaled down 20×, fewer epochs
     * @param autoAttackPoints test images for AutoAttack (0 for none)
     */
    public DefenseGrid(Path work, boolean quick, int autoAttackPoints) {
        this.work = work;
        this.quick = quick;
        this.autoAttackPoints = autoAttackPoints;
    }

    /** Every section, in page order. */
    public List<Section> sections() {
        return List.of(main(), family(), hypocritical(), overfitting(), goodfellow(), madry());
    }

    /** The section {@code id}. */
    public Section section(String id) {
        return sections().stream().filter(s -> s.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no section '" + id + "'; choose"
                        + " one of " + sections().stream().map(Section::id).toList()));
    }

    private int scaled(int size) {
        return quick ? Math.max(256, size / 20) : size;
    }

    /** The protocol of the main table at radius ε, AutoAttack included when asked. */
    private List<Measure> protocol(float epsilon, boolean autoAttack) {
        List<Measure> measures = new ArrayList<>(List.of(
                Measures.clean(TEST_POINTS),
                Measures.fgsm(TEST_POINTS, epsilon),
                Measures.pgd20(TEST_POINTS, epsilon, AttackLoss.CE),
                Measures.pgd20(TEST_POINTS, epsilon, AttackLoss.CW),
                Measures.zeroGradient(TEST_POINTS)));
        if (autoAttack && autoAttackPoints > 0) {
            measures.add(Measures.autoAttack(autoAttackPoints, epsilon));
        }
        return measures;
    }

    /** The main table: every defense of the first issues on small-cnn, ε = 0.1. */
    public Section main() {
        int size = scaled(20_000);
        int epochs = quick ? 1 : 4;
        ArchitectureOptions relu = ArchitectureOptions.DEFAULT;
        List<Measure> measured = protocol(EPSILON, true);
        List<Row> rows = new ArrayList<>();
        rows.add(row("standard", "standard training", "small-cnn", relu, "standard", null,
                Map.of(), size, epochs, 0, false, measured));
        rows.add(row("fgsm-mixed", "FGSM mixed, α = 0.5 (Goodfellow 2015)", "small-cnn", relu,
                "fgsm-mixed", EPSILON, Map.of(), size, epochs, 0, false, measured));
        rows.add(row("pgd-at", "PGD-10 AT (Madry 2018)", "small-cnn", relu, "pgd-at", EPSILON,
                Map.of(), size, epochs, 0, false, measured));
        rows.add(row("fgsm-rs", "FGSM-RS, α = 1.25ε (Wong 2020)", "small-cnn", relu, "fgsm-rs",
                EPSILON, Map.of(), size, epochs, 0, true, measured));
        rows.add(row("fat", "FAT, dynamic τ (Zhang 2020)", "small-cnn", relu, "fat", EPSILON,
                Map.of(), size, epochs, 0, false, measured));
        rows.add(row("trades", "TRADES, β = 6 (Zhang 2019)", "small-cnn", relu, "trades", EPSILON,
                Map.of(), size, epochs, 0, false, measured));
        int half = Math.max(1, epochs / 2);
        rows.add(row("static-mlp", "static source: mlp", "mlp", relu, "standard", null, Map.of(),
                size, half, 1, false, List.of()));
        rows.add(row("static-lenet5", "static source: lenet5", "lenet5", relu, "standard", null,
                Map.of(), size, half, 2, false, List.of()));
        rows.add(row("ensemble-at", "ensemble AT, sources mlp + lenet5 (Tramèr 2018)",
                "small-cnn", relu, "ensemble-at", EPSILON,
                Map.of("sources", work.resolve("static-mlp") + "," + work.resolve("static-lenet5")),
                size, epochs, 0, false, measured));
        rows.add(row("teacher", "distillation teacher, T = 100", "small-cnn", relu,
                "distillation-teacher", null, Map.of(), size, epochs, 0, false, List.of()));
        rows.add(row("distillation", "defensive distillation, T = 100 (Papernot 2016)",
                "small-cnn", relu, "distillation", null,
                Map.of("teacher", work.resolve("teacher").toString()), size, epochs, 0, false,
                measured));
        return new Section("main", "Adversarial training at ε = 0.1 (L∞), Fashion-MNIST, small-cnn",
                rows);
    }

    /**
     * The variants of the adversarial-training family section, in page order: the id's middle
     * part, the label, the defense and its settings, and how many seeds.
     */
    record Variant(String id, String label, ArchitectureOptions options, String defense,
            Float epsilon, Map<String, String> settings, int seeds) {

        Variant(String id, String label, String defense, Float epsilon,
                Map<String, String> settings, int seeds) {
            this(id, label, ArchitectureOptions.DEFAULT, defense, epsilon, settings, seeds);
        }
    }

    /** The family section's variants. */
    static List<Variant> familyVariants() {
        return List.of(
                new Variant("standard", "standard training", "standard", null, Map.of(),
                        FAMILY_SEEDS),
                new Variant("pgd-at", "PGD-10 AT (Madry 2018)", "pgd-at", EPSILON, Map.of(),
                        FAMILY_SEEDS),
                new Variant("trades", "TRADES, β = 6 (Zhang 2019)", "trades", EPSILON, Map.of(),
                        FAMILY_SEEDS),
                new Variant("iat", "IAT, Mixup (Lamb 2019)", "iat", EPSILON, Map.of(),
                        FAMILY_SEEDS),
                new Variant("iat-manifold", "IAT, Manifold Mixup (Lamb 2019)", "iat", EPSILON,
                        Map.of("mix", "manifold"), FAMILY_SEEDS),
                new Variant("spat", "SPAT, cosine head s = 8 (Hou 2023)",
                        ArchitectureOptions.DEFAULT.withHead(ClassifierHead.COSINE,
                                ArchitectureOptions.DEFAULT_COSINE_SCALE),
                        "spat", EPSILON, Map.of(), FAMILY_SEEDS),
                new Variant("ladder", "LADDER (Zhou 2022), reconstructed", "ladder", null,
                        Map.of(), 1),
                new Variant("jsigr", "J-SIGR (Liu 2022), finite differences", "jsigr", null,
                        Map.of(), 1),
                new Variant("jsigr-weak", "J-SIGR, λ_J = 0.01 (ablation: 0.1 did not train)",
                        "jsigr", null, Map.of("jacobianWeight", "0.01"), 1));
    }

    /** The id of a model of the label-noise (hypocritical risk) section. */
    public static String noisyId(String variant, long seed) {
        return "noisy-" + variant + "-" + seed;
    }

    /** The id of a family model. */
    public static String familyId(String variant, long seed) {
        return "family-" + variant + "-" + seed;
    }

    /**
     * The rest of the adversarial-training family (issue 14) next to its baselines: cnn3 on the
     * first 6000 Fashion-MNIST training images for 3 epochs, ε = 0.1, the training attacks PGD-10
     * with step ε/4; seeds 0–2 where the claimed effect is small; AutoAttack on seed 0.
     */
    public Section family() {
        int size = scaled(6_000);
        int epochs = quick ? 1 : 3;
        List<Row> rows = new ArrayList<>(); // the surrogates first: the transfer measure needs them
        for (String surrogate : SURROGATES) {
            rows.add(new Row(familyId("surrogate-" + surrogate, SURROGATE_SEED), "transfer"
                    + " surrogate " + surrogate, new TrainingRecipe(surrogate,
                            ArchitectureOptions.DEFAULT, "standard", null, Map.of(), "fashion-mnist",
                            size, epochs, SURROGATE_SEED, false), List.of()));
        }
        for (long seed = 0; seed < FAMILY_SEEDS; seed++) { // seed 0 of every variant first
            for (Variant variant : familyVariants()) {
                if (seed >= variant.seeds()) {
                    continue;
                }
                List<Measure> measures = new ArrayList<>(protocol(EPSILON, seed == 0));
                measures.add(Measures.robust("fgsm_0.05", TEST_POINTS,
                        Fgsm.of(LADDER_FGSM_EPSILON)));
                if (HARD_CLASS_VARIANTS.contains(variant.id())) {
                    measures.addAll(hardClasses(TEST_POINTS, EPSILON));
                }
                if (TRANSFER_VARIANTS.contains(variant.id())) {
                    measures.add(transfer(TEST_POINTS, EPSILON));
                }
                rows.add(new Row(familyId(variant.id(), seed), variant.label(),
                        new TrainingRecipe("cnn3", variant.options(), variant.defense(),
                                variant.epsilon(), variant.settings(), "fashion-mnist", size,
                                epochs, seed, false), measures));
            }
        }
        return new Section("family", "The rest of the adversarial-training family: IAT, SPAT,"
                + " LADDER, J-SIGR (Fashion-MNIST, cnn3, ε = 0.1)", rows);
    }

    /** Seeds of the label-noise section (THRM's claimed effect is large). */
    public static final int NOISY_SEEDS = 1;
    /** The label-noise section's share of replaced training labels. */
    public static final float LABEL_NOISE = 0.5f;

    /**
     * Hypocritical risk on a substandard model (Tao et al.): cnn3 trained as in {@link #family} but
     * with half of the training labels replaced by other classes, by standard training, TRADES and
     * THRM (β = 6), seed 0; clean accuracy, the hypocritical risk at ε = 0.1 and PGD-20.
     */
    public Section hypocritical() {
        int size = scaled(6_000);
        int epochs = quick ? 1 : 3;
        List<Measure> measures = List.of(Measures.clean(TEST_POINTS),
                Measures.hypocriticalRisk(TEST_POINTS, EPSILON),
                Measures.pgd20(TEST_POINTS, EPSILON, AttackLoss.CE));
        List<Row> rows = new ArrayList<>();
        for (long seed = 0; seed < NOISY_SEEDS; seed++) {
            for (Variant variant : List.of(
                    new Variant("standard", "standard training", "standard", null, Map.of(), 3),
                    new Variant("trades", "TRADES, β = 6", "trades", EPSILON, Map.of(), 3),
                    new Variant("thrm", "THRM, β = 6 (Tao 2022)", "thrm", EPSILON, Map.of(), 3))) {
                rows.add(new Row(noisyId(variant.id(), seed), variant.label(),
                        new TrainingRecipe("cnn3", ArchitectureOptions.DEFAULT, variant.defense(),
                                variant.epsilon(), variant.settings(), "fashion-mnist", size,
                                epochs, seed, false).withLabelNoise(LABEL_NOISE), measures));
            }
        }
        return new Section("hypocritical", "Hypocritical risk on a 50%-label-noise model: THRM"
                + " against TRADES and standard training", rows);
    }

    /**
     * SPAT's observation on the hard classes under PGD-20: the mean share of each hard class's
     * errors that go to its most frequent wrong class ({@code hard_pair_share}), and the mean
     * accuracy of the hard classes under the attack ({@code hard_class_pgd20}).
     */
    private static List<Measure> hardClasses(int points, float epsilon) {
        Attack pgd = Pgd.builder(Norm.LINF, epsilon).optSteps(20)
                .optStepSize(epsilon / 4).optSeed(0).build();
        return List.of(
                Measures.simple("hard_pair_share", points, (model, test) -> meanOverHardClasses(
                        ClassPairAnalysis.of(pgd).run(model, test, Progress.NONE).topWrongShare())),
                Measures.simple("hard_class_pgd20", points, (model, test) -> meanOverHardClasses(
                        ClassPairAnalysis.of(pgd).run(model, test, Progress.NONE)
                                .adversarialAccuracy())));
    }

    /**
     * J-SIGR's claim: accuracy under MI-FGSM (ε, 10 steps, μ = 1) crafted on the ensemble of the
     * two standard surrogates ({@link #SURROGATES}, averaged logits) and judged on the model
     * ({@code transfer_mifgsm}). The surrogates are loaded from the work directory when measured.
     */
    private Measure transfer(int points, float epsilon) {
        return Measures.simple("transfer_mifgsm", points, (model, test) -> {
            List<BlockClassifier> sources = new ArrayList<>();
            try {
                for (String surrogate : SURROGATES) {
                    sources.add(SavedModel.load(work.resolve(familyId("surrogate-" + surrogate,
                            SURROGATE_SEED))));
                }
                return Measures.robust("transfer", points,
                        TransferAttack.of(MiFgsm.of(Norm.LINF, epsilon), sources))
                        .measure(model, test, null).value();
            } catch (IOException e) {
                throw new UncheckedIOException("the transfer surrogates: " + e.getMessage(), e);
            } finally {
                sources.forEach(BlockClassifier::close);
            }
        });
    }

    private static double meanOverHardClasses(double[] perClass) {
        double sum = 0;
        for (int c : HARD_CLASSES) {
            sum += perClass[c];
        }
        return sum / HARD_CLASSES.length;
    }

    /** FGSM-RS at ε = 0.2 over seeds, with and without the bag of tricks. */
    public Section overfitting() {
        int size = scaled(20_000);
        int epochs = quick ? 2 : 6;
        ArchitectureOptions relu = ArchitectureOptions.DEFAULT;
        List<Measure> measured = List.of(Measures.clean(TEST_POINTS),
                Measures.fgsm(TEST_POINTS, OVERFITTING_EPSILON),
                Measures.pgd20(TEST_POINTS, OVERFITTING_EPSILON, AttackLoss.CE));
        List<Row> rows = new ArrayList<>();
        for (long seed = 0; seed < OVERFITTING_SEEDS; seed++) {
            rows.add(row("co-baseline-" + seed, "FGSM-RS", "small-cnn", relu, "fgsm-rs",
                    OVERFITTING_EPSILON, Map.of(), size, epochs, seed, true, measured));
            rows.add(row("co-conv1-l2-" + seed, "FGSM-RS + first-conv L2 (λ = 0.01)", "small-cnn",
                    relu, "fgsm-rs", OVERFITTING_EPSILON, Map.of("firstLayerPenalty", "0.01"),
                    size, epochs, seed, true, measured));
        }
        for (long seed = 0; seed < OVERFITTING_SEEDS; seed++) {
            rows.add(row("co-softplus-" + seed, "FGSM-RS + softplus activations", "small-cnn",
                    new ArchitectureOptions(0, Nonlinearity.SOFTPLUS, 1), "fgsm-rs",
                    OVERFITTING_EPSILON, Map.of(), size, epochs, seed, true, measured));
            rows.add(row("co-grid-mask-" + seed, "FGSM-RS + grid-masked start", "small-cnn", relu,
                    "fgsm-rs", OVERFITTING_EPSILON, Map.of("start", "grid-mask"), size, epochs,
                    seed, true, measured));
            rows.add(row("co-stride2-" + seed, "FGSM-RS + first-conv stride 2", "small-cnn",
                    new ArchitectureOptions(0, Nonlinearity.RELU, 2), "fgsm-rs",
                    OVERFITTING_EPSILON, Map.of(), size, epochs, seed, true, measured));
        }
        return new Section("overfitting",
                "Catastrophic overfitting: FGSM-RS at ε = 0.2 and the bag of tricks", rows);
    }

    /** Goodfellow et al.'s shallow softmax on MNIST, before and after FGSM training. */
    public Section goodfellow() {
        int size = scaled(60_000);
        int epochs = quick ? 1 : 5;
        List<Measure> measured = List.of(Measures.clean(TEST_POINTS),
                Measures.fgsm(TEST_POINTS, GOODFELLOW_EPSILON));
        return new Section("mnist", "MNIST: Goodfellow et al.'s shallow softmax, before and after"
                + " adversarial training", List.of(
                        mnistRow("mnist-linear", "shallow softmax, standard", "linear", "standard",
                                null, Map.of(), size, epochs, false, measured),
                        mnistRow("mnist-linear-fgsm", "shallow softmax, FGSM mixed (ε = 0.25,"
                                + " α = 0.5)", "linear", "fgsm-mixed", GOODFELLOW_EPSILON,
                                Map.of("labels", "true"), size, epochs, false, measured)));
    }

    /**
     * Madry et al.'s MNIST experiment at the scale two cores allow: madry-cnn, PGD-AT at ε = 0.3
     * with the robustness monitor's held-out PGD-10 accuracy after every epoch; PGD-100 (step
     * 0.01, 5 restarts) and AutoAttack on the first 1000 test images.
     */
    public Section madry() {
        int size = scaled(20_000);
        int epochs = quick ? 1 : 10;
        int points = quick ? 200 : TEST_POINTS;
        List<Measure> measured = new ArrayList<>(List.of(Measures.clean(points),
                Measures.fgsm(points, MADRY_EPSILON),
                Measures.pgd20(points, MADRY_EPSILON, AttackLoss.CE),
                Measures.robust("pgd100_r5", points, Pgd.builder(Norm.LINF, MADRY_EPSILON)
                        .optSteps(100).optStepSize(0.01f).optRestarts(5).optSeed(0).build())));
        if (autoAttackPoints > 0) {
            measured.add(Measures.autoAttack(points, MADRY_EPSILON));
        }
        return new Section("madry", "MNIST: Madry et al.'s PGD adversarial training at ε = 0.3",
                List.of(new Row("madry-mnist", "madry-cnn, PGD-10 AT (ε = 0.3, step ε/4)",
                        new TrainingRecipe("madry-cnn", ArchitectureOptions.DEFAULT, "pgd-at",
                                MADRY_EPSILON, Map.of(), "mnist", size, epochs, 0, true, false,
                                null, MADRY_LEARNING_RATE), measured)));
    }

    private static Row row(String id, String label, String architecture,
            ArchitectureOptions options, String defense, Float epsilon, Map<String, String> settings,
            int size, int epochs, long seed, boolean monitor, List<Measure> measures) {
        return new Row(id, label, new TrainingRecipe(architecture, options, defense, epsilon,
                settings, "fashion-mnist", size, epochs, seed, monitor), measures);
    }

    private static Row mnistRow(String id, String label, String architecture, String defense,
            Float epsilon, Map<String, String> settings, int size, int epochs, boolean monitor,
            List<Measure> measures) {
        return new Row(id, label, new TrainingRecipe(architecture, ArchitectureOptions.DEFAULT,
                defense, epsilon, settings, "mnist", size, epochs, 0, monitor), measures);
    }
}
