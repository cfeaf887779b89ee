package org.parry.eval;

import java.util.Locale;

/**
 * How much {@link SanityChecks} spends on checking an evaluation. The checks that only re-read
 * what the evaluation stored (feasibility, silent success, the ε sweep) cost in proportion to it
 * at every level; the checks that run extra attacks run them on a probe of clean-correct samples,
 * and the level sets the probe's size and those attacks' strength (the numbers are on
 * {@link SanityChecks}).
 */
public enum SanityLevel {
    /** Every check, on a probe of up to 100 samples, with the stronger probing attacks. */
    FULL,
    /**
     * Every check, on a probe of up to 50 samples, with the probing attacks scaled down; what was
     * scaled down is named in each check's explanation.
     */
    QUICK,
    /** No check: every check is reported as skipped, so the report says that nothing was checked. */
    OFF;

    /** The level by its lower-case name ({@code full}, {@code quick}, {@code off}). */
    public static SanityLevel parse(String name) {
        for (SanityLevel level : values()) {
            if (level.id().equals(name == null ? null : name.toLowerCase(Locale.ROOT))) {
                return level;
            }
        }
        throw new IllegalArgumentException("unknown sanity level '" + name
                + "'; choose full, quick or off");
    }

    /** The lower-case name. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
