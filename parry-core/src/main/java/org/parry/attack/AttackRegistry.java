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
                o -> new Fgm(o.norm() == Norm.LINF ? Norm.L2 : o.norm(), o.epsilon("fgm"),
                        o.getLoss("loss", AttackLoss.CE)));
        register("rand-fgsm", "random step then FGSM (Tramer et al. 2018); alpha=eps/2",
                o -> new RandFgsm(o.epsilon("rand-fgsm"),
                        o.getFloat("alpha", o.epsilon("rand-fgsm") / 2f), o.seed()));
        register("bim", "basic iterative method / I-FGSM (Kurakin et al. 2017); alpha=1/255",
                o -> {
                    Bim paper = Bim.paper(o.epsilon("bim"));
                    return new Bim(paper.epsilon(), o.getFloat("stepSize", paper.stepSize()),
                            o.steps(paper.steps()));
                });
        register("pgd", "projected gradient descent (Madry et al. 2018): 40 steps, random start",
                o -> {
                    int steps = o.steps(40);
                    float epsilon = o.epsilon("pgd");
                    return Pgd.builder(o.norm(), epsilon)
                            .optSteps(steps)
                            .optStepSize(o.getFloat("stepSize", 2.5f * epsilon / steps))
                            .optRestarts(o.getInt("restarts", 1))
                            .optRandomStart(o.getBoolean("randomStart", true))
                            .optLoss(o.getLoss("loss", AttackLoss.CE))
                            .optConfidence(o.getFloat("confidence", 0f))
                            .optSeed(o.seed())
                            .build();
                });
        // carlini-wagner: cw-l2, cw-linf, cw-l0 register here
        // deepfool, apgd-ce, apgd-dlr, apgd-t, alt-pgd register here
        register("hypocritical", "false-friend perturbation that makes mistakes correct (Tao et al. 2022)",
                o -> {
                    float epsilon = o.epsilon("hypocritical");
                    return new Hypocritical(o.norm(), epsilon, o.getFloat("stepSize", epsilon / 4f),
                            o.steps(20), o.getInt("restarts", 1), o.seed());
                });
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
     * @throws IllegalArgumentException for an unknown name or a setting the attack does not have
     */
    public static Attack create(String name, AttackOptions options) {
        Attack attack = entry(name).factory().apply(options);
        Set<String> unused = options.unused();
        if (!unused.isEmpty()) {
            throw new IllegalArgumentException("attack '" + name + "' has no setting "
                    + String.join(", ", unused) + "; its settings are "
                    + attack.settings().keySet());
        }
        return attack;
    }

    private static Entry entry(String name) {
        Entry entry = ATTACKS.get(name);
        if (entry == null) {
            throw new IllegalArgumentException("unknown attack '" + name + "'; choose one of " + names());
        }
        return entry;
    }
}
