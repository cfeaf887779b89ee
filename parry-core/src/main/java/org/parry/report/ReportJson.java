package org.parry.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.parry.eval.EvaluationReport;
import org.parry.io.AtomicFiles;
import org.parry.model.SavedModel;

/**
 * {@code report.json}: the {@link EvaluationReport} with snake_case names, every NaN or infinite
 * number written as {@code null} (strict JSON has no NaN), the hypocritical risk's derived ratios,
 * a top-level {@code attacks} list that flattens every ε × attack outcome, and the detectors'
 * results under {@code detection} (null when the evaluation had none). The layout is
 * documented in {@code docs/report-schema.md} and versioned by {@link EvaluationReport#SCHEMA}.
 */
final class ReportJson {

    /** Parry's mapper (indented, lenient on unknown fields) with snake_case property names. */
    static final ObjectMapper MAPPER = SavedModel.json().copy()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    private ReportJson() {}

    /** The JSON tree of a report, as written. */
    static ObjectNode tree(EvaluationReport report) {
        ObjectNode raw = MAPPER.valueToTree(report);
        ObjectNode hypocritical = raw.get("hypocritical") instanceof ObjectNode node ? node : null;
        if (hypocritical != null && report.hypocritical() != null) {
            hypocritical.put("risk", report.hypocritical().risk());
            hypocritical.put("unnormalized_risk", report.hypocritical().unnormalizedRisk());
        }
        ArrayNode attacks = MAPPER.createArrayNode();
        for (JsonNode result : raw.path("results")) {
            for (JsonNode attack : result.path("attacks")) {
                attacks.add(attack.deepCopy());
            }
        }
        // Rebuild to place the flat list right after the per-ε results it repeats.
        ObjectNode tree = MAPPER.createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = raw.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            tree.set(field.getKey(), field.getValue());
            if (field.getKey().equals("results")) {
                tree.set("attacks", attacks);
            }
        }
        if (!tree.has("attacks")) {
            tree.set("attacks", attacks);
        }
        nullNonFinite(tree);
        return tree;
    }

    /** Writes the tree to {@code file}. */
    static void write(Path file, EvaluationReport report) throws IOException {
        JsonNode tree = tree(report);
        AtomicFiles.write(file, out -> MAPPER.writeValue(out, tree));
    }

    /** Replaces NaN and ±Infinity anywhere in the tree by JSON null. */
    private static void nullNonFinite(JsonNode node) {
        if (node instanceof ObjectNode object) {
            for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (isNonFinite(field.getValue())) {
                    field.setValue(MAPPER.nullNode());
                } else {
                    nullNonFinite(field.getValue());
                }
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                if (isNonFinite(array.get(i))) {
                    array.set(i, MAPPER.nullNode());
                } else {
                    nullNonFinite(array.get(i));
                }
            }
        }
    }

    private static boolean isNonFinite(JsonNode node) {
        return node.isFloatingPointNumber() && !Double.isFinite(node.doubleValue());
    }
}
