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
    private final boolean stepsFromSetting;
    private final boolean epsilonFromSetting;
    private final long seed;
    private final Map<String, String> settings;
    private String attack = "the attack";
    private final Set<String> used = new TreeSet<>();
    private boolean normRead;
    private boolean epsilonRead;
    private boolean stepsRead;

    /**
     * @param norm null when not given (attacks with a choice of norm then take linf)
     * @param epsilon null when not given (minimum-norm attacks need none)
     * @param steps null for the attack's default
     * @param settings the attack's own settings; {@code steps} and {@code epsilon} may be given
     *     here instead of as parameters (they are the names {@link Attack#settings()} shows), but
     *     not in both places
     */
    public AttackOptions(Norm norm, Float epsilon, Integer steps, long seed,
            Map<String, String> settings) {
        this.settings = new LinkedHashMap<>(settings);
        String stepsSetting = this.settings.remove(STEPS);
        String epsilonSetting = this.settings.remove(EPSILON);
        this.stepsFromSetting = stepsSetting != null;
        this.epsilonFromSetting = epsilonSetting != null;
        if (stepsSetting != null && steps != null) {
            throw new IllegalArgumentException("steps are given twice, as --steps " + steps
                    + " and as the setting steps=" + stepsSetting + "; give one");
        }
        if (epsilonSetting != null && epsilon != null) {
            throw new IllegalArgumentException("epsilon is given twice, as --eps " + epsilon
                    + " and as the setting epsilon=" + epsilonSetting + "; give one");
        }
        this.norm = norm;
        this.epsilon = epsilonSetting == null ? epsilon : Float.valueOf(parseFloat(EPSILON, epsilonSetting));
        this.steps = stepsSetting == null ? steps : Integer.valueOf(parseInt(STEPS, stepsSetting));
        this.seed = seed;
    }

    /** Whether the user gave the attack's own setting {@code key}. */
    public boolean has(String key) {
        return settings.containsKey(key);
    }

    /** These options with the setting {@code key} = {@code value} added (or replaced). */
    public AttackOptions with(String key, String value) {
        Map<String, String> more = new LinkedHashMap<>(settings);
        more.put(key, value);
        AttackOptions copy = new AttackOptions(norm, epsilon, steps, seed, more);
        copy.attack = attack;
        return copy;
    }

    private static final String STEPS = "steps";
    private static final String EPSILON = "epsilon";

    /** Names the attack in messages ({@code pgd.steps must be >= 1}); set by the registry. */
    void attackName(String name) {
        attack = name;
    }

    /** How the user gave the steps, for messages: {@code --steps} or {@code pgd.steps}. */
    String stepsOption() {
        return stepsFromSetting ? attack + "." + STEPS : "--steps";
    }

    /** How the user gave ε, for messages: {@code --eps} or {@code pgd.epsilon}. */
    String epsilonOption() {
        return epsilonFromSetting ? attack + "." + EPSILON : "--eps";
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
        if (!(epsilon >= 0f)) {
            throw new IllegalArgumentException(epsilonOption() + " must be >= 0, got " + epsilon);
        }
        epsilonRead = true;
        return epsilon;
    }

    /** ε if given, else the default. */
    public float epsilonOr(float fallback) {
        epsilonRead = true;
        if (epsilon != null && !(epsilon >= 0f)) {
            throw new IllegalArgumentException(epsilonOption() + " must be >= 0, got " + epsilon);
        }
        return epsilon == null ? fallback : epsilon;
    }

    /**
     * The steps given, else the attack's default.
     *
     * @throws IllegalArgumentException when the steps given are below 1, before the attack derives
     *     anything (such as a step size) from them
     */
    public int steps(int fallback) {
        stepsRead = true;
        if (steps != null && steps < 1) {
            throw new IllegalArgumentException(stepsOption() + " must be >= 1, got " + steps);
        }
        return steps == null ? fallback : steps;
    }

    public long seed() {
        return seed;
    }

    public float getFloat(String key, float fallback) {
        String value = take(key);
        return value == null ? fallback : parseFloat(key, value);
    }

    public int getInt(String key, int fallback) {
        String value = take(key);
        return value == null ? fallback : parseInt(key, value);
    }

    private static float parseFloat(String key, String value) {
        try {
            return Float.parseFloat(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting " + key + "=" + value + " is not a number");
        }
    }

    private static int parseInt(String key, String value) {
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
