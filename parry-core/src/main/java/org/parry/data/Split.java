package org.parry.data;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Which part of a data set: the training split or the held-out test split. */
public enum Split {
    TRAIN,
    TEST;

    /**
     * Parses {@code "train"} or {@code "test"}, ignoring case and surrounding spaces.
     *
     * @throws IllegalArgumentException naming the bad value and the valid ones
     */
    public static Split parse(String text) {
        if (text != null) {
            String wanted = text.trim().toUpperCase(Locale.ROOT);
            for (Split split : values()) {
                if (split.name().equals(wanted)) {
                    return split;
                }
            }
        }
        throw new IllegalArgumentException(
                "split: unknown value '" + text + "', expected one of " + validValues());
    }

    /** The lower-case name used on command lines, {@code "train"} or {@code "test"}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    private static String validValues() {
        return Arrays.stream(values()).map(Split::id).collect(Collectors.joining(", "));
    }
}
