package org.parry.attack;

import org.parry.norm.Norm;

/** Validation of attack settings, with messages that name the setting, the value and the range. */
public final class Require {

    private Require() {}

    /** ε must be finite and >= 0; for L∞ at most 1 (the whole pixel range); for L0 a count. */
    public static void epsilon(Norm norm, float epsilon) {
        if (!(epsilon >= 0f) || Float.isInfinite(epsilon)) {
            throw new IllegalArgumentException("epsilon must be a finite number >= 0, got " + epsilon);
        }
        if (norm == Norm.LINF && epsilon > 1f) {
            throw new IllegalArgumentException("epsilon " + epsilon + " is out of range for linf:"
                    + " pixels are in [0, 1], so use a value in [0, 1] (e.g. 0.1, or 8/255 = 0.0314)");
        }
        if (norm == Norm.L0 && epsilon != Math.rint(epsilon)) {
            throw new IllegalArgumentException("epsilon for l0 counts coordinates and must be a whole"
                    + " number, got " + epsilon);
        }
    }

    public static void positive(String name, float value) {
        if (!(value > 0f) || Float.isInfinite(value)) {
            throw new IllegalArgumentException(name + " must be > 0, got " + value);
        }
    }

    public static void nonNegative(String name, float value) {
        if (!(value >= 0f) || Float.isInfinite(value)) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + value);
        }
    }

    public static void atLeast(String name, int value, int minimum) {
        if (value < minimum) {
            throw new IllegalArgumentException(name + " must be >= " + minimum + ", got " + value);
        }
    }
}
