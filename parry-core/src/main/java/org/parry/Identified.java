package org.parry;

import java.util.Arrays;
import java.util.Locale;

/** A choice users type by name, such as an activation function or a start point. */
public interface Identified {

    /** The name users type. */
    String id();

    /**
     * The value whose {@link #id()} is {@code text} (ignoring case and surrounding spaces).
     *
     * @param what what is chosen, for the message, e.g. "activation"
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    static <T extends Identified> T parse(T[] values, String text, String what) {
        String wanted = text.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values).filter(value -> value.id().equals(wanted)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown " + what + " '" + text
                        + "'; choose one of " + Arrays.stream(values).map(Identified::id).toList()));
    }
}
