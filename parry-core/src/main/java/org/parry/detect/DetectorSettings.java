package org.parry.detect;

import java.util.LinkedHashMap;
import java.util.Map;
import org.parry.defense.DefenseOptions;

/** Reading a saved detector's settings (its card's values) the way its fit read the user's. */
final class DetectorSettings {

    private DetectorSettings() {}

    /** The card's settings as the options a fit reads, every value as its text. */
    static DefenseOptions options(Map<String, Object> settings) {
        Map<String, String> text = new LinkedHashMap<>();
        settings.forEach((key, value) -> text.put(key, String.valueOf(value)));
        return new DefenseOptions(null, text);
    }
}
