package org.parry.defense;

/** Validation shared by the defenses' configurations, with messages that say the fix. */
final class Require {

    private Require() {}

    static void epsilon(float epsilon) {
        if (!(epsilon > 0f && epsilon <= 1f)) {
            throw new IllegalArgumentException("epsilon must be in (0, 1] (pixels are in [0, 1]), got "
                    + epsilon);
        }
    }

    static void fraction(String name, float value) {
        if (!(value >= 0f && value <= 1f)) {
            throw new IllegalArgumentException(name + " must be in [0, 1], got " + value);
        }
    }

    static void positive(String name, float value) {
        if (!(value > 0f) || Float.isInfinite(value)) {
            throw new IllegalArgumentException(name + " must be > 0, got " + value);
        }
    }

    static void nonNegative(String name, float value) {
        if (!(value >= 0f) || Float.isInfinite(value)) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + value);
        }
    }

    static void atLeast(String name, int value, int minimum) {
        if (value < minimum) {
            throw new IllegalArgumentException(name + " must be >= " + minimum + ", got " + value);
        }
    }
}
