package org.parry.eval;

import java.util.Map;
import java.util.Objects;
import org.parry.attack.Attack;
import org.parry.attack.AttackOptions;
import org.parry.attack.AttackRegistry;
import org.parry.norm.Norm;

/**
 * One attack of an evaluation suite: a registry name with its settings, instantiated per ε.
 *
 * @param name registry name, e.g. {@code apgd-ce}
 * @param steps iterations (null for the attack's default)
 * @param settings attack-specific {@code key=value} settings
 */
public record SuiteAttack(String name, Integer steps, Map<String, String> settings) {

    public SuiteAttack {
        Objects.requireNonNull(name, "name");
        settings = Map.copyOf(settings);
        AttackRegistry.description(name);
    }

    /** The attack with defaults only. */
    public static SuiteAttack of(String name) {
        return new SuiteAttack(name, null, Map.of());
    }

    /** The attack for one threat model, seeded. */
    public Attack create(Norm norm, float epsilon, long seed) {
        return AttackRegistry.create(name, new AttackOptions(norm, epsilon, steps, seed, settings));
    }
}
