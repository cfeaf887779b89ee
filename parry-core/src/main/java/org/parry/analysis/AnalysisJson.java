package org.parry.analysis;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parry.io.AtomicFiles;
import org.parry.model.SavedModel;

/** The JSON the analyses write: Maps and Lists, NaN as null, each file atomically. */
final class AnalysisJson {

    private AnalysisJson() {}

    static void write(Path file, Map<String, Object> json) throws IOException {
        AtomicFiles.write(file, out -> SavedModel.json().writeValue(out, json));
    }

    /** {@code {"name": ..., "settings": {...}}}. */
    static Map<String, Object> attack(String name, Map<String, Object> settings) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", name);
        json.put("settings", settings);
        return json;
    }

    /** The value, or null when it is not finite (a rate without a denominator). */
    static Double finite(double value) {
        return Double.isFinite(value) ? value : null;
    }

    static List<Double> finite(double[] values) {
        return Arrays.stream(values).mapToObj(AnalysisJson::finite).toList();
    }
}
