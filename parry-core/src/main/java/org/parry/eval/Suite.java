package org.parry.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An ordered list of attacks run on the points still robust, worst case per sample (the AutoAttack
 * protocol of Croce and Hein, ICML 2020). Presets:
 * <ul>
 *   <li>{@code quick}: FGSM, PGD-20, APGD-CE;
 *   <li>{@code autoattack} (standard): APGD-CE, APGD-T (9 targets), FAB-T (9 targets), Square
 *       (5000 queries);
 *   <li>{@code autoattack-plus}: APGD-CE and APGD-DLR with 5 restarts, FAB with 5 restarts,
 *       Square, APGD-T, FAB-T;
 *   <li>{@code autoattack-rand}: APGD-CE and APGD-DLR, 1 restart each, every iterate averaging
 *       20 gradient draws (expectation over transformation), for randomized models; FAB and Square
 *       are left out as in AutoAttack's "rand" version;
 *   <li>{@code full}: {@code autoattack} plus C&W-L2, DeepFool and alternating-objective PGD;
 *   <li>a custom comma-separated list of registry names, e.g. {@code fgsm,pgd,apgd-ce}.
 * </ul>
 *
 * @param name the preset's name, or the list as given
 * @param attacks the attacks in order
 */
public record Suite(String name, List<SuiteAttack> attacks) implements java.io.Serializable {

    public Suite {
        attacks = List.copyOf(attacks);
        if (attacks.isEmpty()) {
            throw new IllegalArgumentException("a suite needs at least one attack");
        }
    }

    /** The preset names. */
    public static final List<String> PRESETS =
            List.of("quick", "autoattack", "autoattack-plus", "autoattack-rand", "full");

    /** A preset by name, or a comma-separated list of attack names. */
    public static Suite parse(String text) {
        String key = text.trim().toLowerCase(Locale.ROOT);
        return switch (key) {
            case "quick" -> new Suite(key, List.of(SuiteAttack.of("fgsm"),
                    SuiteAttack.of("pgd", 20, Map.of()), SuiteAttack.of("apgd-ce")));
            case "autoattack" -> new Suite(key, autoattack());
            case "autoattack-plus" -> new Suite(key, List.of(
                    SuiteAttack.of("apgd-ce", null, Map.of("restarts", "5")),
                    SuiteAttack.of("apgd-dlr", null, Map.of("restarts", "5")),
                    SuiteAttack.of("fab", null, Map.of("restarts", "5")),
                    SuiteAttack.of("square"), SuiteAttack.of("apgd-t"), SuiteAttack.of("fab-t")));
            case "autoattack-rand" -> new Suite(key, List.of(
                    SuiteAttack.of("apgd-ce", null, Map.of("eot", "20")),
                    SuiteAttack.of("apgd-dlr", null, Map.of("eot", "20"))));
            case "full" -> {
                List<SuiteAttack> attacks = new ArrayList<>(autoattack());
                attacks.add(SuiteAttack.of("cw-l2"));
                attacks.add(SuiteAttack.of("deepfool"));
                attacks.add(SuiteAttack.of("alt-pgd"));
                yield new Suite(key, attacks);
            }
            default -> {
                List<SuiteAttack> attacks = new ArrayList<>();
                for (String name : key.split(",")) {
                    if (!name.isBlank()) {
                        attacks.add(SuiteAttack.of(name.trim()));
                    }
                }
                yield new Suite(key, attacks);
            }
        };
    }

    private static List<SuiteAttack> autoattack() {
        return List.of(SuiteAttack.of("apgd-ce"), SuiteAttack.of("apgd-t"), SuiteAttack.of("fab-t"),
                SuiteAttack.of("square", 5000, Map.of()));
    }
}
