package org.parry.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.parry.attack.AttackOptions;
import org.parry.attack.AttackRegistry;
import org.parry.attack.AttackResult;
import org.parry.attack.Fgsm;
import org.parry.attack.Pgd;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.Bounds;
import org.parry.model.Classifier;
import org.parry.model.GradientCheck;
import org.parry.model.Pipeline;
import org.parry.norm.Norm;
import org.parry.norm.RandomNoise;

/**
 * The automatable checks that reveal a broken evaluation or gradient masking (Carlini et al.,
 * "On evaluating adversarial robustness", arXiv:1902.06705; Tramèr et al., "On adaptive attacks",
 * NeurIPS 2020; AutoAttack's flags; attacks.md §13.2). Each gives pass / warn / fail with a
 * sentence of why, or skip with the reason it did not run, and its wall time.
 *
 * <p>Cost. Feasibility and silent success re-read the stored adversarial examples (batched forward
 * passes, in proportion to the evaluation). The checks that need extra attacks run them on a probe
 * set, the first clean-correct samples at the first ε, with seeds derived from the evaluation's
 * seed; the {@link SanityLevel} sets the probe's size and those attacks' strength:
 * <pre>
 *   level   probe  PGD probe  Square    convergence probe     DeepFool               random draws
 *   full    100    20 steps   1000 q.   40 steps x 3 starts   50 steps, top-10 cls.  20
 *   quick    50    10 steps    100 q.   20 steps x 1 start    10 steps, top-4 cls.   10
 * </pre>
 * The probe never exceeds the evaluated clean-correct samples, so on a small evaluation the checks
 * shrink with it; but on a few samples a pass costs about the same whatever its batch, so the cost
 * there is the number of sequential passes, and that is what {@code quick} cuts. Measured with
 * {@code parry evaluate --n 20 --suite pgd} (Fashion-MNIST, ε = 0.1; a standard small-cnn with 18
 * clean-correct points, and an FGSM-RS one), old and new alternately on the 2-core machine that
 * other jobs share, whole command, wall seconds (CPU seconds in brackets). While the machine was
 * quiet (load about 1): standard model, old checks 7.1 s (11.3) and 5.6 s (8.9), {@code full}
 * 6.0 s with checks of 3.1 s, {@code quick} 4.1 s (5.9) and 3.7 s (5.4) with checks of 1.1-1.2 s
 * against PGD-40's 0.4 s, {@code off} 2.9 s (3.9); FGSM-RS model, old 9.4 s (14.8), {@code quick}
 * 5.1 s (7.7) with checks of 1.6 s against PGD-40's 0.6 s. While it was loaded (load 6 to 12,
 * every pass 10 to 50 times slower): old 248.5 s (86.0) and 217.3 s (74.1), {@code quick} 73.4 s
 * (26.3) and 28.1 s (19.2), {@code off} 28.2 s (8.8); at {@code full} (the old budget) Square's
 * 1000 sequential queries then took 96.7 s of the checks' 153.7 s, and DeepFool 23.8 s.
 * {@code quick} is the CLI's default because a check is only as useful
 * as the evaluation it guards is cheap to repeat; {@code full} is for published numbers
 * ({@code docs/defenses.md} uses it).
 */
public final class SanityChecks {

    /**
     * gradient-health: the relative error a gradient may have. Honest float32 models measure
     * 0.5&ndash;2% (float32 logits, and ReLU and max-pool switches inside the step: 0.5% on the
     * synthetic test CNN, 1.6% on a trained Fashion-MNIST small-cnn); a kernel 15% off (the oneDNN
     * fault on one AVX-512 CPU) measures 15&ndash;16%.
     */
    private static final double GRADIENT_LIMIT = 0.05;
    private static final int GRADIENT_SAMPLES = 8;
    private static final int GRADIENT_DIRECTIONS = 32;
    /**
     * Finite-difference steps, tried in order while the error is above the limit: rounding error
     * grows as the step shrinks and ReLU switches as it grows, a wrong gradient stays wrong at any
     * step, so the smallest estimate is the fair one.
     */
    private static final float[] GRADIENT_STEPS = {3e-4f, 1e-4f, 1e-3f};

    /** What the probing attacks of a level cost. */
    private record Budget(int probeSize, int pgdSteps, int squareQueries, int convergenceSteps,
            int convergenceRestarts, int deepFoolSteps, int deepFoolCandidates, int randomDraws) {

        static Budget of(SanityLevel level) {
            return switch (level) {
                case FULL -> new Budget(100, 20, 1000, 40, 3, 50, 10, 20);
                case QUICK -> new Budget(50, 10, 100, 20, 1, 10, 4, 10);
                case OFF -> new Budget(0, 0, 0, 0, 0, 0, 0, 0);
            };
        }
    }

    /** Every check, in the order they run and are reported. */
    static final List<String> IDS = List.of("feasibility", "silent-success", "logits", "determinism",
            "gradient-health", "iterative-vs-single-step", "white-vs-black-box",
            "monotone-in-epsilon", "unbounded-attack", "convergence", "random-search",
            "minimum-norm");

    /** Adversarial examples per forward pass when re-checking the stored ones. */
    private static final int RECHECK_BATCH = 256;

    private final Classifier model;
    private final ImageDataset data;
    private final EvaluationSettings settings;
    private final Evaluator.Run run;
    private final float epsilon;
    private final Norm norm;
    private final Budget budget;

    private SanityChecks(Classifier model, ImageDataset data, EvaluationSettings settings,
            Evaluator.Run run, SanityLevel level) {
        this.budget = Budget.of(level);
        this.model = model;
        this.data = data;
        this.settings = settings;
        this.run = run;
        this.epsilon = settings.epsilons()[0];
        this.norm = settings.norm();
    }

    /** The checks that warned or failed, by id, each with its status and explanation. */
    public static Map<String, String> flagged(List<SanityCheck> checks) {
        Map<String, String> flagged = new LinkedHashMap<>();
        for (SanityCheck check : checks) {
            if (check.status() == SanityCheck.Status.WARN
                    || check.status() == SanityCheck.Status.FAIL) {
                flagged.put(check.id(), check.status() + ": " + check.explanation());
            }
        }
        return flagged;
    }

    /** Runs every check at {@link SanityLevel#FULL} on a finished evaluation. */
    public static List<SanityCheck> run(Classifier model, ImageDataset data,
            EvaluationSettings settings, Evaluator.Run run) {
        return run(model, data, settings, run, SanityLevel.FULL);
    }

    /**
     * Runs the checks of {@code level} on a finished evaluation; at {@link SanityLevel#OFF} every
     * check is returned as skipped, so a report always lists all of them.
     */
    public static List<SanityCheck> run(Classifier model, ImageDataset data,
            EvaluationSettings settings, Evaluator.Run run, SanityLevel level) {
        if (level == SanityLevel.OFF) {
            return IDS.stream().map(id -> SanityCheck.skip(id, "not run (--sanity off): nothing"
                    + " checks this evaluation for a broken attack or gradient masking")).toList();
        }
        return new SanityChecks(model, data, settings, run, level).all();
    }

    private List<SanityCheck> all() {
        List<SanityCheck> checks = new ArrayList<>();
        checks.add(timed(this::feasibility));
        checks.add(timed(this::silentSuccess));
        try (NDManager manager = NDManager.newBaseManager()) {
            int[] probe = probe();
            if (probe.length == 0) {
                for (String id : IDS.subList(2, IDS.size())) {
                    checks.add(SanityCheck.skip(id, "no clean-correct sample: the model gets every"
                            + " evaluated image wrong, so no robustness check can run"));
                }
                return checks;
            }
            Batch batch = data.select(probe).batch(manager, 0, probe.length);
            checks.add(timed(() -> logitsNotProbabilities(batch)));
            checks.add(timed(() -> determinism(batch)));
            checks.add(timed(() -> gradientHealth(batch)));
            if (model.hasGradients()) {
                long start = System.nanoTime();
                double pgd = robust(pgd(budget.pgdSteps(), 1, epsilon).run(model, batch.x(),
                        criterion(batch)));
                double pgdSeconds = (System.nanoTime() - start) / 1e9;
                SanityCheck iterative = timed(() -> iterativeBeatsSingleStep(batch, pgd));
                checks.add(iterative.withSeconds(iterative.seconds() + pgdSeconds));
                checks.add(timed(() -> whiteBoxBeatsBlackBox(batch, probe)));
                checks.add(timed(() -> monotoneInEpsilon(batch)));
                checks.add(timed(() -> unboundedReachesZero(batch)));
                checks.add(timed(() -> convergence(batch, pgd)));
                checks.add(timed(() -> randomSearchDoesNotBeatGradients(batch, probe)));
                checks.add(timed(() -> minimumNormConsistency(batch, probe)));
            } else {
                for (String id : IDS.subList(IDS.indexOf("iterative-vs-single-step"), IDS.size())) {
                    checks.add(SanityCheck.skip(id, "the model has no gradients: only black-box"
                            + " attacks ran, and the gradient-based checks cannot"));
                }
            }
        }
        return checks;
    }

    private static SanityCheck timed(java.util.function.Supplier<SanityCheck> check) {
        long start = System.nanoTime();
        SanityCheck result = check.get();
        return result.withSeconds((System.nanoTime() - start) / 1e9);
    }

    /** The first clean-correct samples, the probe set of the attack-based checks. */
    private int[] probe() {
        int[] labels = run.labels();
        int[] clean = run.cleanPredictions();
        return java.util.stream.IntStream.range(0, labels.length)
                .filter(i -> labels[i] == clean[i]).limit(budget.probeSize()).toArray();
    }

    private static Misclassification criterion(Batch batch) {
        return new Misclassification(batch.y());
    }

    private Pgd pgd(int steps, int restarts, float budget) {
        return Pgd.builder(norm, budget).optSteps(steps).optRestarts(restarts)
                .optSeed(settings.seed() + 17).build();
    }

    private static double robust(AttackResult result) {
        return 1.0 - (double) result.successes() / result.size();
    }

    private static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * fraction);
    }

    /** 1. Every stored adversarial example is in the ball, in the box, and finite. */
    private SanityCheck feasibility() {
        int checked = 0;
        Bounds box = model.bounds();
        for (int e = 0; e < run.results().size(); e++) {
            float budget = settings.epsilons()[e];
            WorstCase worstCase = run.worstCases().get(e);
            for (int i = 0; i < worstCase.size(); i++) {
                float[] adversarial = worstCase.adversarial(i);
                if (adversarial == null) {
                    continue;
                }
                checked++;
                float[] clean = data.image(i);
                double distance = distance(adversarial, clean);
                for (float value : adversarial) {
                    if (!(value >= box.lower() && value <= box.upper())) {
                        return SanityCheck.fail("feasibility", "sample " + i + " at ε=" + budget
                                + " has a pixel " + value + " outside the model's box "
                                + interval(box) + " or not a number");
                    }
                }
                if (distance > budget * (1 + 1e-5) + 1e-6) {
                    return SanityCheck.fail("feasibility", "sample " + i + "'s adversarial example"
                            + " is at " + norm.id() + " distance " + distance + " > ε=" + budget);
                }
            }
        }
        return SanityCheck.pass("feasibility", "all " + checked + " stored adversarial examples are"
                + " finite, in " + interval(box) + " and within ε in " + norm.id());
    }

    /** The box as people write it: [0, 1], [-1, 1], [0.5, 2.25]. */
    private static String interval(Bounds box) {
        return "[" + plain(box.lower()) + ", " + plain(box.upper()) + "]";
    }

    private static String plain(float value) {
        return new java.math.BigDecimal(Float.toString(value)).stripTrailingZeros().toPlainString();
    }

    private double distance(float[] a, float[] b) {
        double result = 0;
        for (int j = 0; j < a.length; j++) {
            double d = Math.abs(a[j] - b[j]);
            result = switch (norm) {
                case LINF -> Math.max(result, d);
                case L2 -> result + d * d;
                case L1 -> result + d;
                case L0 -> result + (d > 0 ? 1 : 0);
            };
        }
        return norm == Norm.L2 ? Math.sqrt(result) : result;
    }

    /**
     * 13. Re-running the model on every stored adversarial example confirms it is misclassified;
     * in batches of {@value #RECHECK_BATCH}, so the cost follows the number of broken samples.
     */
    private SanityCheck silentSuccess() {
        int checked = 0;
        for (int e = 0; e < run.results().size(); e++) {
            WorstCase worstCase = run.worstCases().get(e);
            int[] stored = java.util.stream.IntStream.range(0, worstCase.size())
                    .filter(i -> worstCase.adversarial(i) != null).toArray();
            checked += stored.length;
            for (int from = 0; from < stored.length; from += RECHECK_BATCH) {
                int[] rows = java.util.Arrays.copyOfRange(stored, from,
                        Math.min(stored.length, from + RECHECK_BATCH));
                int size = (int) data.imageShape().size();
                float[] images = new float[rows.length * size];
                for (int r = 0; r < rows.length; r++) {
                    System.arraycopy(worstCase.adversarial(rows[r]), 0, images, r * size, size);
                }
                try (NDManager step = NDManager.newBaseManager()) {
                    NDArray x = step.create(images, new ai.djl.ndarray.types.Shape(rows.length)
                            .addAll(data.imageShape()));
                    long[] predicted = model.logits(x).argMax(1).toLongArray();
                    for (int r = 0; r < rows.length; r++) {
                        if (predicted[r] == worstCase.label(rows[r])) {
                            return SanityCheck.fail("silent-success", "sample " + rows[r] + " was"
                                    + " counted as broken but its stored adversarial example is"
                                    + " classified correctly: an attack reported a success it did"
                                    + " not return");
                        }
                    }
                }
            }
        }
        return SanityCheck.pass("silent-success", "all " + checked + " adversarial examples are"
                + " misclassified when the model is run on them again");
    }

    /** 2a. Logits, not probabilities: rows that are non-negative and sum to 1 mean softmax output. */
    private SanityCheck logitsNotProbabilities(Batch batch) {
        NDArray logits = model.logits(batch.x());
        boolean inUnitRange = logits.min().getFloat() >= 0f && logits.max().getFloat() <= 1f;
        float maxRowError = logits.sum(new int[] {1}).sub(1f).abs().max().getFloat();
        if (inUnitRange && maxRowError < 1e-4f) {
            return SanityCheck.fail("logits", "the model outputs probabilities (rows in [0, 1]"
                    + " summing to 1): losses on saturated softmax outputs hide gradients; export"
                    + " the model without its final softmax");
        }
        return SanityCheck.pass("logits", "the model outputs logits (range "
                + logits.min().getFloat() + " to " + logits.max().getFloat() + ")");
    }

    /** 2b. Five identical forward passes agree. */
    private SanityCheck determinism(Batch batch) {
        float[] first = model.logits(batch.x()).toFloatArray();
        double worst = 0;
        for (int pass = 0; pass < 4; pass++) {
            float[] again = model.logits(batch.x()).toFloatArray();
            for (int j = 0; j < first.length; j++) {
                worst = Math.max(worst, Math.abs(first[j] - again[j]));
            }
        }
        if (worst > 1e-4) {
            return SanityCheck.warn("determinism", "logits differ by up to " + worst + " across 5"
                    + " identical forward passes: the model is randomized; evaluate it with the"
                    + " autoattack-rand suite (EOT)");
        }
        return SanityCheck.pass("determinism", "5 identical forward passes agree (max difference "
                + worst + ")");
    }

    /** 3. Input gradients are not zero, and agree with finite differences. */
    private SanityCheck gradientHealth(Batch batch) {
        if (!model.hasGradients()) {
            return SanityCheck.warn("gradient-health", "the model has no gradients (black-box)");
        }
        org.parry.model.LossGradient pass = model.lossGradient(batch.x(), batch.y(), CrossEntropyLoss.get());
        NDArray gradient = pass.gradient();
        boolean[] zero = gradient.abs().reshape(batch.size(), -1).max(new int[] {1}).eq(0f)
                .toBooleanArray();
        int zeros = 0;
        for (boolean z : zero) {
            zeros += z ? 1 : 0;
        }
        double zeroFraction = (double) zeros / zero.length;
        if (zeroFraction > 0.5) {
            return SanityCheck.fail("gradient-health", percent(zeroFraction) + " of the probe"
                    + " samples have an all-zero input gradient: gradients are masked (a"
                    + " non-differentiable step such as quantization?); white-box attacks are"
                    + " blind here, use BPDA or black-box attacks");
        }
        if (model instanceof Pipeline pipeline && pipeline.approximatesGradients()) {
            return SanityCheck.warn("gradient-health", "gradients pass the defense's"
                    + " non-differentiable stages by BPDA stand-ins, so they are no function's"
                    + " derivative and finite differences cannot check them; "
                    + (zeros == 0 ? "none" : zeros) + " of " + zero.length + " probe samples have"
                    + " zero gradients; white-vs-black-box tells whether the attacks found their"
                    + " way");
        }
        // A random defense is checked on one fixed draw of its randomness, a deterministic model.
        Classifier checked = model instanceof Pipeline pipeline && pipeline.randomized()
                ? pipeline.withFixedRandomness(settings.seed()) : model;
        // The least confident samples: a confident sample's loss is flat to float32 precision.
        int probe = Math.min(GRADIENT_SAMPLES, batch.size());
        NDArray hardest = pass.loss().argSort(0, false).get("0:" + probe);
        double error = Double.POSITIVE_INFINITY;
        for (float step : GRADIENT_STEPS) {
            double estimate = GradientCheck.estimatedRelativeError(checked, batch.x().get(hardest),
                    batch.y().get(hardest), CrossEntropyLoss.get(), GRADIENT_DIRECTIONS, step,
                    settings.seed());
            error = Double.isNaN(estimate) ? estimate : Math.min(error, estimate);
            if (!(error > GRADIENT_LIMIT)) {
                break;
            }
        }
        String measured = "relative error " + String.format(Locale.ROOT, "%.1e", error)
                + " against finite differences along " + GRADIENT_DIRECTIONS
                + " random directions on " + probe + " samples, limit "
                + String.format(Locale.ROOT, "%.0e", GRADIENT_LIMIT);
        if (!(error <= GRADIENT_LIMIT)) {
            return SanityCheck.fail("gradient-health", "the input gradient is wrong (" + measured
                    + "): either the engine's kernels return wrong gradients on this machine (run"
                    + " 'parry doctor') or the model has a non-differentiable or randomized step"
                    + " (shattered gradients: attack it with BPDA or EOT, or black-box attacks)");
        }
        String zeroNote = zeros > 0 ? "; " + zeros + " samples have zero gradients (saturated)" : "";
        return SanityCheck.pass("gradient-health", "gradients agree with finite differences ("
                + measured + ")" + zeroNote);
    }

    /** 4. PGD is at least as strong as FGSM. */
    private SanityCheck iterativeBeatsSingleStep(Batch batch, double pgd) {
        if (norm != Norm.LINF) {
            return SanityCheck.skip("iterative-vs-single-step", "compared in linf only (FGSM is an"
                    + " L∞ attack); not applicable to " + norm.id());
        }
        double fgsm = robust(Fgsm.of(epsilon).run(model, batch.x(), criterion(batch)));
        String numbers = "robust accuracy on the probe of " + batch.size() + ": PGD-"
                + budget.pgdSteps() + " " + percent(pgd) + ", FGSM " + percent(fgsm);
        if (pgd > fgsm + 0.005) {
            return SanityCheck.fail("iterative-vs-single-step", numbers
                    + ": the iterative attack is weaker than one step, a sign of gradient masking"
                    + " or a broken attack");
        }
        return SanityCheck.pass("iterative-vs-single-step", numbers);
    }

    /** 5. Square (black-box) breaks nothing the white-box attacks left robust. */
    private SanityCheck whiteBoxBeatsBlackBox(Batch batch, int[] probe) {
        long[] survivors = java.util.stream.IntStream.range(0, probe.length)
                .filter(row -> run.worstCases().get(0).brokenBy(probe[row]) == WorstCase.ROBUST)
                .asLongStream().toArray();
        if (survivors.length == 0) {
            return SanityCheck.pass("white-vs-black-box", "the white-box attacks broke every probe"
                    + " sample; nothing left for Square to find");
        }
        try (NDManager scope = NDManager.newBaseManager()) {
            NDArray rows = scope.create(survivors);
            NDArray x = batch.x().get(rows);
            NDArray y = batch.y().get(rows);
            AttackResult square = AttackRegistry.create("square", new AttackOptions(norm, epsilon,
                    budget.squareQueries(), settings.seed() + 29, Map.of()))
                    .run(model, x, new Misclassification(y));
            int extra = square.successes();
            String numbers = "Square (" + budget.squareQueries() + " queries) broke " + extra + " of the " + survivors.length
                    + " probe samples the suite left robust";
            if (extra > Math.max(1, 0.002 * probe.length)) {
                return SanityCheck.fail("white-vs-black-box", numbers + ": a black-box attack beats"
                        + " the gradient attacks, so gradients are masked and the reported"
                        + " robustness is too high");
            }
            if (extra == 1) {
                return SanityCheck.warn("white-vs-black-box", numbers);
            }
            return SanityCheck.pass("white-vs-black-box", numbers);
        }
    }

    /** 6. Robust accuracy does not rise with ε, and a sample broken at ε stays broken at 2ε. */
    private SanityCheck monotoneInEpsilon(Batch batch) {
        double[] reported = run.results().stream().mapToDouble(EpsilonResult::robustAccuracy).toArray();
        for (int e = 1; e < reported.length; e++) {
            if (reported[e] > reported[e - 1]) {
                return SanityCheck.fail("monotone-in-epsilon", "robust accuracy rises from "
                        + percent(reported[e - 1]) + " to " + percent(reported[e]) + " between ε="
                        + settings.epsilons()[e - 1] + " and ε=" + settings.epsilons()[e]);
            }
        }
        float larger = norm == Norm.LINF ? Math.min(1f, 2 * epsilon) : 2 * epsilon;
        AttackResult small = pgd(budget.pgdSteps(), 1, epsilon / 2).run(model, batch.x(),
                criterion(batch));
        AttackResult large = pgd(budget.pgdSteps(), 1, larger).run(model, batch.x(), criterion(batch));
        int violations = 0;
        for (int i = 0; i < small.size(); i++) {
            violations += small.success()[i] && !large.success()[i] ? 1 : 0;
        }
        String numbers = "PGD-" + budget.pgdSteps() + " on the probe: robust accuracy " + percent(robust(small)) + " at ε/2, "
                + percent(robust(large)) + " at " + larger;
        if (robust(large) > robust(small) + 0.005 || violations > 0) {
            return SanityCheck.warn("monotone-in-epsilon", numbers + "; " + violations + " samples"
                    + " broken at the smaller budget survive the larger one: the attack is not"
                    + " finding the worst case");
        }
        return SanityCheck.pass("monotone-in-epsilon", numbers + (reported.length > 1
                ? "; the reported ε sweep is non-increasing" : ""));
    }

    /** 7. An unbounded attack breaks (almost) everything. */
    private SanityCheck unboundedReachesZero(Batch batch) {
        // The box's diameter, so that every point of the box is within reach; L∞ configurations
        // stop at ε = 1 (the pixel range), which for a wider box still reaches half of it.
        float range = model.bounds().range();
        float unbounded = norm == Norm.LINF ? Math.min(1f, range)
                : range * (float) Math.sqrt(data.imageShape().size());
        double result = robust(pgd(budget.pgdSteps(), 1, unbounded).run(model, batch.x(),
                criterion(batch)));
        String numbers = "PGD-" + budget.pgdSteps() + " at ε=" + unbounded + " leaves " + percent(result) + " robust";
        if (result > 0.01) {
            return SanityCheck.fail("unbounded-attack", numbers + ": with an unbounded budget every"
                    + " sample should fall, so the attack or the gradient is broken");
        }
        return SanityCheck.pass("unbounded-attack", numbers);
    }

    /** 8. More steps and restarts do not change the result. */
    private SanityCheck convergence(Batch batch, double pgd) {
        double stronger = robust(pgd(budget.convergenceSteps(), budget.convergenceRestarts(), epsilon)
                .run(model, batch.x(), criterion(batch)));
        String numbers = "robust accuracy on the probe: PGD-" + budget.pgdSteps() + " "
                + percent(pgd) + ", PGD-" + budget.convergenceSteps() + " with "
                + budget.convergenceRestarts() + (budget.convergenceRestarts() == 1 ? " start "
                : " restarts ") + percent(stronger);
        if (pgd - stronger > 0.005) {
            return SanityCheck.warn("convergence", numbers + ": more steps or restarts still help,"
                    + " so the attacks have not converged; use a stronger suite");
        }
        return SanityCheck.pass("convergence", numbers);
    }

    /** 9. Random points of the ball break nothing the evaluation missed. */
    private SanityCheck randomSearchDoesNotBeatGradients(Batch batch, int[] probe) {
        WorstCase worstCase = run.worstCases().get(0);
        int found = 0;
        int draws = budget.randomDraws();
        for (int draw = 0; draw < draws; draw++) {
            try (NDManager step = NDManager.newBaseManager()) {
                NDArray start = norm == Norm.LINF
                        ? model.bounds().clip(batch.x().add(RandomNoise.uniform(step,
                                batch.x().getShape(), -1f, 1f, settings.seed() + 31 + draw)
                                .sign().mul(epsilon)))
                        : norm.randomStart(batch.x(), epsilon, settings.seed() + 31 + draw,
                                model.bounds());
                boolean[] hit = new Misclassification(batch.y()).isAdversarial(model.logits(start))
                        .toBooleanArray();
                for (int row = 0; row < hit.length; row++) {
                    if (hit[row] && worstCase.brokenBy(probe[row]) == WorstCase.ROBUST) {
                        found++;
                    }
                }
            }
        }
        if (found > 0) {
            return SanityCheck.fail("random-search", draws + " random points per sample broke"
                    + " samples the suite left robust (" + found + " hits): the gradient attacks"
                    + " miss easy adversarial examples");
        }
        return SanityCheck.pass("random-search", draws + " random " + (norm == Norm.LINF ? "vertices"
                + " of the ball" : "points of the ball") + " per probe sample broke nothing the"
                + " suite missed");
    }

    /** 14. DeepFool's minimal perturbation is not within ε on samples the suite called robust. */
    private SanityCheck minimumNormConsistency(Batch batch, int[] probe) {
        if (!AttackRegistry.names().contains("deepfool") || (norm != Norm.L2 && norm != Norm.LINF)) {
            return SanityCheck.skip("minimum-norm", "DeepFool is an l2 and linf attack; not"
                    + " applicable to " + norm.id());
        }
        AttackResult deepFool = AttackRegistry.create("deepfool", new AttackOptions(norm, null,
                budget.deepFoolSteps(), settings.seed(),
                Map.of("candidates", Integer.toString(budget.deepFoolCandidates()))))
                .run(model, batch.x(), criterion(batch));
        float[] norms = norm == Norm.LINF ? deepFool.linf() : deepFool.l2();
        int inconsistent = 0;
        for (int row = 0; row < probe.length; row++) {
            if (deepFool.success()[row] && norms[row] <= epsilon
                    && run.worstCases().get(0).brokenBy(probe[row]) == WorstCase.ROBUST) {
                inconsistent++;
            }
        }
        if (inconsistent > 0) {
            return SanityCheck.warn("minimum-norm", "DeepFool (" + deepFoolBudget()
                    + ") found adversarial examples within ε"
                    + " for " + inconsistent + " probe samples the suite left robust: the bounded"
                    + " attacks are weak there");
        }
        return SanityCheck.pass("minimum-norm", "DeepFool (" + deepFoolBudget() + ")"
                + " found no adversarial example within ε"
                + " that the suite missed (median DeepFool norm " + String.format(Locale.ROOT,
                "%.3f", median(norms, deepFool.success())) + ")");
    }

    private String deepFoolBudget() {
        return budget.deepFoolSteps() + " steps, top-" + budget.deepFoolCandidates() + " classes";
    }

    private static double median(float[] values, boolean[] keep) {
        double[] kept = java.util.stream.IntStream.range(0, values.length).filter(i -> keep[i])
                .mapToDouble(i -> values[i]).sorted().toArray();
        return kept.length == 0 ? Double.NaN : kept[kept.length / 2];
    }
}
