package org.parry.defense;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the user typed for a defense: the common {@code --eps} and the {@code NAME.key=value}
 * settings. Every key a defense reads is recorded; {@link DefenseRegistry} rejects the others, so
 * a misspelt setting is an error, not a silent default.
 */
public final class DefenseOptions {

    private final Float epsilon;
    private final Map<String, String> settings;
    private final Set<String> read = new LinkedHashSet<>();

    /**
     * @param epsilon the L∞ radius of the training attack, or null when not given
     * @param settings the defense's own settings, keys without the {@code NAME.} prefix
     */
    public DefenseOptions(Float epsilon, Map<String, String> settings) {
        this.epsilon = epsilon;
        this.settings = Map.copyOf(settings);
    }

    /** The training attack's radius, in (0, 1]. */
    float epsilon(String defense, float fallback) {
        float value = epsilon != null ? epsilon : fallback;
        if (!(value > 0f && value <= 1f)) {
            throw new IllegalArgumentException(defense + ": --eps must be in (0, 1] (pixels are in"
                    + " [0, 1]), got " + value);
        }
        return value;
    }

    boolean hasEpsilon() {
        return epsilon != null;
    }

    public float getFloat(String key, float fallback) {
        String text = get(key);
        try {
            return text == null ? fallback : Float.parseFloat(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting " + key + "=" + text + " is not a number");
        }
    }

    public int getInt(String key, int fallback) {
        String text = get(key);
        try {
            return text == null ? fallback : Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting " + key + "=" + text + " is not an integer");
        }
    }

    public String getString(String key, String fallback) {
        String text = get(key);
        return text == null ? fallback : text;
    }

    /** The keys the defense read, in order: the settings it has. */
    public List<String> read() {
        return List.copyOf(read);
    }

    /** The settings no defense read, in the order given. */
    public Map<String, String> unread() {
        Map<String, String> unread = new LinkedHashMap<>(settings);
        unread.keySet().removeAll(read);
        return unread;
    }

    private String get(String key) {
        read.add(key);
        return settings.get(key);
    }
}
