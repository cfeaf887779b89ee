package org.parry.attack;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.parry.loss.AttackLoss;
import org.parry.norm.Norm;

/**
 * The options a user gives an attack by name: the threat model (norm, ε), the common
 * {@code steps}, {@code targeted} and {@code seed}, and {@code key=value} settings specific to the
 * attack. Reading an option marks it used; {@link AttackRegistry} rejects options the attack never
 * read (a setting with a typo, an ε given to a minimum-norm attack, steps given to a one-step
 * attack, a norm other than that of a single-norm attack), so no option is silently ignored.
 */
public final class AttackOptions {

    private final Norm norm;
    private final Float epsilon;
    private final Integer steps;
    private final long seed;
    private final Map<String, String> settings;
    private final Set<String> used = new TreeSet<>();
    private boolean normRead;
    private boolean epsilonRead;
    private boolean stepsRead;

    /**
     * @param norm null when not given (attacks with a choice of norm then take linf)
     * @param epsilon null when not given (minimum-norm attacks need none)
     * @param steps null for the attack's default
     */
    public AttackOptions(Norm norm, Float epsilon, Integer steps, long seed,
            Map<String, String> settings) {
        this.norm = norm;
        this.epsilon = epsilon;
        this.steps = steps;
        this.seed = seed;
        this.settings = new LinkedHashMap<>(settings);
    }

    /** The norm given, else linf. */
    public Norm norm() {
        return normOr(Norm.LINF);
    }

    /** The norm given, else the attack's default. */
    public Norm normOr(Norm fallback) {
        normRead = true;
        return norm == null ? fallback : norm;
    }

    /** ε, required by bounded attacks. */
    public float epsilon(String attack) {
        if (epsilon == null) {
            throw new IllegalArgumentException(attack + " needs an epsilon: pass --eps (e.g. --eps 0.1)");
        }
        epsilonRead = true;
        return epsilon;
    }

    /** ε if given, else the default. */
    public float epsilonOr(float fallback) {
        epsilonRead = true;
        return epsilon == null ? fallback : epsilon;
    }

    public int steps(int fallback) {
        stepsRead = true;
        return steps == null ? fallback : steps;
    }

    public long seed() {
        return seed;
    }

    public float getFloat(String key, float fallback) {
        String value = take(key);
        if (value == null) {
            return fallback;
        }
        try {
            return Float.parseFloat(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting " + key + "=" + value + " is not a number");
        }
    }

    public int getInt(String key, int fallback) {
        String value = take(key);
        if (value == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting " + key + "=" + value + " is not a whole number");
        }
    }

    public boolean getBoolean(String key, boolean fallback) {
        String value = take(key);
        if (value == null) {
            return fallback;
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw new IllegalArgumentException(
                    "setting " + key + "=" + value + " must be true or false");
        };
    }

    public String getString(String key, String fallback) {
        String value = take(key);
        return value == null ? fallback : value;
    }

    public AttackLoss getLoss(String key, AttackLoss fallback) {
        String value = take(key);
        return value == null ? fallback : AttackLoss.parse(value);
    }

    /** The norm, if one was given and the attack never read it; else null. */
    Norm unreadNorm() {
        return normRead ? null : norm;
    }

    /** Whether ε was given and the attack never read it. */
    boolean epsilonUnread() {
        return epsilon != null && !epsilonRead;
    }

    /** Whether steps were given and the attack never read them. */
    boolean stepsUnread() {
        return steps != null && !stepsRead;
    }

    /** The settings given but never read. */
    Set<String> unused() {
        Set<String> unused = new TreeSet<>(settings.keySet());
        unused.removeAll(used);
        return unused;
    }

    private String take(String key) {
        used.add(key);
        return settings.get(key);
    }
}
