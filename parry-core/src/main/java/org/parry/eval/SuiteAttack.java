package org.parry.eval;

import java.util.Map;
import java.util.Objects;
import org.parry.attack.Attack;
import org.parry.attack.AttackOptions;
import org.parry.attack.AttackRegistry;
import org.parry.norm.Norm;

/**
 * One attack of an evaluation suite: a name and how to make the attack for a threat model. The
 * {@link Evaluator} makes it once per ε to report its settings, and once per unit of work (ε,
 * attack, batch) with the unit's own seed, so that a resumed run redoes a unit exactly. Registry
 * attacks and a user's own go through the same path:
 * <pre>{@code
 * SuiteAttack.of("apgd-ce")                                   // by registry name
 * SuiteAttack.of("pgd", 20, Map.of("restarts", "5"))          // with steps and settings
 * SuiteAttack.of("mine", (norm, epsilon, seed) -> new Mine(norm, epsilon, seed))
 * SuiteAttack.of(new Mine(Norm.LINF, 0.1f, 0))               // one instance, at its own ε
 * }</pre>
 * The journal of an evaluation fingerprints each attack by its name and {@link Attack#settings()}:
 * an attack of one's own must list there everything that changes its numbers.
 *
 * @param name the name the report shows, e.g. {@code apgd-ce}
 * @param factory makes the attack for a norm, an ε and a seed
 */
public record SuiteAttack(String name, Factory factory) implements java.io.Serializable {

    /**
     * Makes an attack for one threat model and seed. Serializable, so that a cluster's executors
     * can make the attacks of their units ({@link EvaluationRunner}): a factory that captures only
     * serializable values can be shipped.
     */
    @FunctionalInterface
    public interface Factory extends java.io.Serializable {
        Attack create(Norm norm, float epsilon, long seed);
    }

    public SuiteAttack {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(factory, "factory");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a suite attack needs a name, got '" + name + "'");
        }
    }

    /** A registry attack with its defaults. */
    public static SuiteAttack of(String name) {
        return of(name, null, Map.of());
    }

    /**
     * A registry attack with settings.
     *
     * @param name registry name, e.g. {@code apgd-ce}
     * @param steps iterations (null for the attack's default)
     * @param settings attack-specific {@code key=value} settings
     * @throws IllegalArgumentException for a name the registry does not know
     */
    public static SuiteAttack of(String name, Integer steps, Map<String, String> settings) {
        AttackRegistry.description(name);
        Map<String, String> copy = Map.copyOf(settings);
        return new SuiteAttack(name, (norm, epsilon, seed) ->
                AttackRegistry.create(name, new AttackOptions(norm, epsilon, steps, seed, copy)));
    }

    /** An attack of one's own, made per ε and seed by {@code factory}. */
    public static SuiteAttack of(String name, Factory factory) {
        return new SuiteAttack(name, factory);
    }

    /**
     * One attack instance, run as it is at every ε and for every unit (its own seed throughout).
     * An evaluation refuses it at a norm or an ε other than those its {@link Attack#settings()}
     * name; a factory makes an attack for each.
     */
    public static SuiteAttack of(Attack attack) {
        Objects.requireNonNull(attack, "attack");
        return new SuiteAttack(attack.name(), (norm, epsilon, seed) -> {
            Map<String, Object> settings = attack.settings();
            Object ownNorm = settings.get("norm");
            Object ownEpsilon = settings.get("epsilon");
            if ((ownNorm != null && !ownNorm.equals(norm.id())) || (ownEpsilon instanceof Number e
                    && e.floatValue() != epsilon)) {
                throw new IllegalArgumentException("attack '" + attack.name() + "' was made for "
                        + ownNorm + " ε=" + ownEpsilon + " but the evaluation runs " + norm.id()
                        + " ε=" + epsilon + "; give SuiteAttack.of(name, factory) a factory that"
                        + " makes the attack for each ε");
            }
            return attack;
        });
    }

    /** The attack for one threat model, seeded. */
    public Attack create(Norm norm, float epsilon, long seed) {
        return factory.create(norm, epsilon, seed);
    }
}
