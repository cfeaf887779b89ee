package org.parry.attack;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.parry.loss.AttackLoss;
import org.parry.norm.Norm;

/**
 * Attacks by name, so the CLI, configuration files and reports share one spelling:
 * {@code create("pgd", options)}. Each entry reads its settings from {@link AttackOptions}.
 */
public final class AttackRegistry {

    private record Entry(String description, Function<AttackOptions, Attack> factory) {}

    private static final Map<String, Entry> ATTACKS = new LinkedHashMap<>();

    static {
        register("fgsm", "fast gradient sign method (Goodfellow et al. 2015), linf",
                o -> new Fgsm(o.epsilon("fgsm"), o.getLoss("loss", AttackLoss.CE)));
        register("fgm", "fast gradient method, one normalized step (l2 by default)",
                o -> new Fgm(o.normOr(Norm.L2), o.epsilon("fgm"), o.getLoss("loss", AttackLoss.CE)));
        register("rand-fgsm", "random step then FGSM (Tramer et al. 2018); alpha=eps/2",
                o -> new RandFgsm(o.epsilon("rand-fgsm"),
                        o.getFloat("alpha", o.epsilon("rand-fgsm") / 2f), o.seed()));
        register("bim", "basic iterative method / I-FGSM (Kurakin et al. 2017): the paper's"
                + " min(255 eps + 4, 1.25 * 255 eps) steps, alpha=max(2.5 eps/steps, min(eps/4,"
                + " 10 eps/steps))",
                o -> {
                    float epsilon = o.epsilon("bim");
                    int steps = o.steps(Bim.of(epsilon).steps());
                    return new Bim(epsilon,
                            o.getFloat("stepSize", Pgd.defaultStepSize(epsilon, steps)), steps,
                            o.getBoolean("earlyStop", true));
                });
        register("mi-fgsm", "momentum iterative FGSM (Dong et al. 2018), made to transfer: mu=1"
                + " (decay), 10 steps of eps/steps, linf or l2, every step run",
                o -> {
                    float epsilon = o.epsilon("mi-fgsm");
                    int steps = o.steps(MiFgsm.DEFAULT_STEPS);
                    return new MiFgsm(o.norm(), epsilon, o.getFloat("stepSize", epsilon / steps),
                            steps, o.getFloat("decay", 1f), o.getBoolean("earlyStop", false));
                });
        register("pgd", "projected gradient descent (Madry et al. 2018): 40 steps,"
                + " alpha=max(2.5 eps/steps, min(eps/4, 10 eps/steps)), random start",
                o -> {
                    int steps = o.steps(40);
                    float epsilon = o.epsilon("pgd");
                    return Pgd.builder(o.norm(), epsilon)
                            .optSteps(steps)
                            .optStepSize(o.getFloat("stepSize", Pgd.defaultStepSize(epsilon, steps)))
                            .optRestarts(o.getInt("restarts", 1))
                            .optRandomStart(o.getBoolean("randomStart", true))
                            .optLoss(o.getLoss("loss", AttackLoss.CE))
                            .optConfidence(o.getFloat("confidence", 0f))
                            .optEarlyStop(o.getBoolean("earlyStop", true))
                            .optSeed(o.seed())
                            .build();
                });
        register("cw-l2", "Carlini-Wagner L2 (2017): tanh box, Adam, per-sample binary search on c;"
                + " 9 binary steps x 1000 steps", o -> {
                    CwL2 d = CwL2.builder().build();
                    return CwL2.builder()
                            .optBinarySteps(o.getInt("binarySteps", d.binarySteps()))
                            .optSteps(o.steps(d.steps()))
                            .optLearningRate(o.getFloat("lr", d.learningRate()))
                            .optConfidence(o.getFloat("confidence", d.confidence()))
                            .optInitialConst(o.getFloat("initialConst", d.initialConst()))
                            .optAbortEarly(o.getBoolean("abortEarly", d.abortEarly()))
                            .build();
                });
        register("cw-linf", "Carlini-Wagner Linf (2017): shrinking threshold tau, c from 1e-5 x2"
                + " to 20; slow", o -> {
                    CwLinf d = CwLinf.builder().build();
                    return CwLinf.builder()
                            .optSteps(o.steps(d.steps()))
                            .optLearningRate(o.getFloat("lr", d.learningRate()))
                            .optConfidence(o.getFloat("confidence", d.confidence()))
                            .optInitialConst(o.getFloat("initialConst", d.initialConst()))
                            .optLargestConst(o.getFloat("largestConst", d.largestConst()))
                            .optConstFactor(o.getFloat("constFactor", d.constFactor()))
                            .optDecreaseFactor(o.getFloat("decreaseFactor", d.decreaseFactor()))
                            .optAbortEarly(o.getBoolean("abortEarly", d.abortEarly()))
                            .build();
                });
        register("cw-l0", "Carlini-Wagner L0 (2017): iterative pixel freezing, c from 1e-3 x2 to"
                + " 2e6; very slow", o -> {
                    CwL0 d = CwL0.builder().build();
                    return CwL0.builder()
                            .optSteps(o.steps(d.steps()))
                            .optLearningRate(o.getFloat("lr", d.learningRate()))
                            .optConfidence(o.getFloat("confidence", d.confidence()))
                            .optInitialConst(o.getFloat("initialConst", d.initialConst()))
                            .optLargestConst(o.getFloat("largestConst", d.largestConst()))
                            .optConstFactor(o.getFloat("constFactor", d.constFactor()))
                            .optAbortEarly(o.getBoolean("abortEarly", d.abortEarly()))
                            .build();
                });
        register("deepfool", "minimal perturbation across the nearest linearized boundary"
                + " (Moosavi-Dezfooli et al. 2016): l2 (the paper's, default) or linf, 50 steps,"
                + " overshoot 0.02",
                o -> {
                    DeepFool d = DeepFool.l2();
                    return new DeepFool(o.normOr(d.norm()), o.steps(d.steps()),
                            o.getFloat("overshoot", d.overshoot()),
                            o.getInt("candidates", d.candidates()));
                });
        register("apgd-ce", "auto-PGD on cross-entropy (Croce & Hein 2020): 100 steps,"
                + " per-sample step-size halving",
                o -> Apgd.builder(o.norm(), o.epsilon("apgd-ce")).optLoss(AttackLoss.CE)
                        .optSteps(o.steps(100)).optRestarts(o.getInt("restarts", 1))
                        .optRho(o.getFloat("rho", 0.75f)).optEot(o.getInt("eot", 1))
                        .optSeed(o.seed()).build());
        register("apgd-dlr", "auto-PGD on the DLR loss (Croce & Hein 2020); needs >= 3 classes",
                o -> Apgd.builder(o.norm(), o.epsilon("apgd-dlr")).optLoss(AttackLoss.DLR)
                        .optSteps(o.steps(100)).optRestarts(o.getInt("restarts", 1))
                        .optRho(o.getFloat("rho", 0.75f)).optEot(o.getInt("eot", 1))
                        .optSeed(o.seed()).build());
        register("apgd-t", "auto-PGD on targeted DLR toward the 2nd..10th clean classes"
                + " (Croce & Hein 2020); needs >= 4 classes",
                o -> ApgdTargeted.builder(o.norm(), o.epsilon("apgd-t")).optSteps(o.steps(100))
                        .optTargets(o.getInt("targets", 9)).optRestarts(o.getInt("restarts", 1))
                        .optRho(o.getFloat("rho", 0.75f)).optEot(o.getInt("eot", 1))
                        .optSeed(o.seed()).build());
        register("alt-pgd", "linf PGD alternating its loss ce -> cw -> dlr (Antoniou et al. 2022);"
                + " alpha=eps/4, 100 steps",
                o -> {
                    float epsilon = o.epsilon("alt-pgd");
                    if (o.norm() != Norm.LINF) {
                        throw new IllegalArgumentException("alt-pgd is a linf attack, got norm "
                                + o.norm().id() + "; use pgd or apgd-ce for " + o.norm().id());
                    }
                    return new AlternatingPgd(epsilon, o.getFloat("stepSize", epsilon / 4f),
                            o.steps(100), o.getInt("restarts", 1),
                            AlternatingPgd.parseLosses(o.getString("losses", "ce,cw,dlr")), o.seed());
                });
        register("hypocritical", "false-friend perturbation that makes mistakes correct (Tao et al. 2022)",
                o -> {
                    float epsilon = o.epsilon("hypocritical");
                    return new Hypocritical(o.norm(), epsilon, o.getFloat("stepSize", epsilon / 4f),
                            o.steps(20), o.getInt("restarts", 1), o.seed());
                });
        register("square", "Square attack (Andriushchenko et al. 2020): black-box random search on"
                + " the margin, linf or l2; 5000 queries, p_init 0.8",
                o -> new Square(o.norm(), o.epsilon("square"), o.steps(5000),
                        o.getFloat("pInit", 0.8f), o.getInt("restarts", 1), o.seed()));
        register("uap", "universal adversarial perturbation (Moosavi-Dezfooli et al. 2017): one v"
                + " fitted on the batch by DeepFool passes, added to each image of that batch"
                + " (in-sample; 'parry attack --universal' fits on train and measures on test)",
                o -> UniversalPerturbation.builder(o.norm(), o.epsilon("uap"))
                        .optDelta(o.getFloat("delta", 0.2f)).optPasses(o.getInt("passes", 20))
                        .optSteps(o.steps(10)).optOvershoot(o.getFloat("overshoot", 0.02f))
                        .optCandidates(o.getInt("candidates", 10)).optBatch(o.getInt("batch", 16))
                        .optSeed(o.seed()).build());
        register("one-pixel", "one-pixel attack (Su et al. 2019): differential evolution over d"
                + " pixels on the probabilities, black-box; population 400, 100 generations (--steps),"
                + " F 0.5",
                o -> new OnePixel(o.getInt("pixels", 1), o.getInt("population", 400),
                        o.getInt("generations", o.steps(100)), o.getFloat("f", 0.5f), o.seed()));
        register("fab", "fast adaptive boundary attack (Croce & Hein 2020): minimum-norm, or"
                + " bounded with --eps; l2 or linf, 100 steps, K-1 gradients per step",
                o -> Fab.builder(o.norm()).optEpsilon(o.epsilonOr(Float.NaN))
                        .optSteps(o.steps(100)).optRestarts(o.getInt("restarts", 1))
                        .optAlphaMax(o.getFloat("alphaMax", 0.1f)).optEta(o.getFloat("eta", 1.05f))
                        .optBeta(o.getFloat("beta", 0.9f)).optSeed(o.seed()).build());
        register("fab-t", "FAB toward the boundaries of the 2nd..10th clean classes (Croce & Hein"
                + " 2020), one gradient per step; minimum-norm, or bounded with --eps",
                o -> Fab.builder(o.norm()).optTargeted(true).optEpsilon(o.epsilonOr(Float.NaN))
                        .optTargets(o.getInt("targets", 9)).optSteps(o.steps(100))
                        .optRestarts(o.getInt("restarts", 1))
                        .optAlphaMax(o.getFloat("alphaMax", 0.1f)).optEta(o.getFloat("eta", 1.05f))
                        .optBeta(o.getFloat("beta", 0.9f)).optSeed(o.seed()).build());
    }

    private AttackRegistry() {}

    /** Adds an attack; names are unique. */
    static void register(String name, String description, Function<AttackOptions, Attack> factory) {
        if (ATTACKS.putIfAbsent(name, new Entry(description, factory)) != null) {
            throw new IllegalStateException("attack '" + name + "' registered twice");
        }
    }

    /** The registered names, in registration order. */
    public static List<String> names() {
        return List.copyOf(ATTACKS.keySet());
    }

    /** One line about an attack, for {@code --help} listings. */
    public static String description(String name) {
        return entry(name).description();
    }

    /**
     * @throws IllegalArgumentException for an unknown name, a setting the attack does not have, or
     *     an ε, a number of steps or a norm that the attack would ignore
     */
    /**
     * The attack {@code name} as a transfer attack crafts with it: like {@link #create}, except
     * that an iterative attack that stops per sample at its first success (PGD, BIM) runs its
     * whole budget ({@code earlyStop=false}) unless the user set {@code earlyStop}. An example
     * that only just crosses the source's boundary seldom fools another model (measured in
     * {@code docs/black-box.md}).
     */
    public static Attack createForTransfer(String name, AttackOptions options) {
        Attack attack = create(name, options);
        if (attack.settings().containsKey(EARLY_STOP) && !options.has(EARLY_STOP)) {
            return create(name, options.with(EARLY_STOP, "false"));
        }
        return attack;
    }

    private static final String EARLY_STOP = "earlyStop";

    public static Attack create(String name, AttackOptions options) {
        Entry entry = entry(name);
        options.attackName(name);
        Attack attack = entry.factory().apply(options);
        Set<String> unused = options.unused();
        if (!unused.isEmpty()) {
            throw new IllegalArgumentException("attack '" + name + "' has no setting "
                    + String.join(", ", unused) + "; its settings are "
                    + attack.settings().keySet());
        }
        // Every registered attack without ε is a minimum-norm attack, every one without steps a
        // one-step attack, and every one that does not read the norm attacks in one norm only.
        if (options.epsilonUnread()) {
            throw new IllegalArgumentException("attack '" + name + "' has no epsilon (it finds"
                    + " minimal perturbations); remove " + options.epsilonOption());
        }
        if (options.stepsUnread()) {
            throw new IllegalArgumentException("attack '" + name + "' has no steps (it takes one"
                    + " step); remove " + options.stepsOption());
        }
        Norm norm = options.unreadNorm();
        Object own = attack.settings().get("norm");
        if (norm != null && !norm.id().equals(own)) {
            throw new IllegalArgumentException("attack '" + name + "' attacks in " + own
                    + " only, not " + norm.id() + "; remove --norm or choose an attack for "
                    + norm.id());
        }
        return attack;
    }

    /**
     * The attack {@code name} for a threat model (norm, ε), with its defaults: at ε when it takes
     * one, and as a minimum-norm attack in its own norm when it does not (C&amp;W, DeepFool), so
     * that one list of attacks can mix both kinds.
     */
    public static Attack createForThreat(String name, Norm norm, float epsilon, long seed) {
        AttackOptions probe = new AttackOptions(norm, epsilon, null, seed, Map.of());
        probe.attackName(name);
        entry(name).factory().apply(probe);
        return probe.epsilonUnread()
                ? create(name, new AttackOptions(null, null, null, seed, Map.of()))
                : create(name, new AttackOptions(norm, epsilon, null, seed, Map.of()));
    }

    private static Entry entry(String name) {
        Entry entry = ATTACKS.get(name);
        if (entry == null) {
            throw new IllegalArgumentException("unknown attack '" + name + "'; choose one of " + names());
        }
        return entry;
    }
}
