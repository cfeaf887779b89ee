package org.parry.experiments;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.parry.eval.DefenseComparison.ModelResults;
import org.parry.io.AtomicFiles;
import org.parry.model.SavedModel;

/**
 * Every measured model of an experiment, by id: what its page is rendered from and what the
 * acceptance tests read. Kept next to the page ({@code docs/defenses/results.json}) and committed,
 * so the page's numbers and the claims checked on them stay together.
 *
 * @param models results by model id
 */
public record Results(Map<String, ModelResults> models) {

    public Results {
        models = new TreeMap<>(models);
    }

    /** The results in {@code file}, or none when it does not exist. */
    public static Results read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return new Results(Map.of());
        }
        return new Results(SavedModel.json().readValue(file.toFile(),
                new TypeReference<TreeMap<String, ModelResults>>() {}));
    }

    public void write(Path file) throws IOException {
        AtomicFiles.write(file, out ->
                SavedModel.json().writerWithDefaultPrettyPrinter().writeValue(out, models));
    }

    /** These results with one model's replaced. */
    public Results with(ModelResults model) {
        Map<String, ModelResults> more = new TreeMap<>(models);
        more.put(model.id(), model);
        return new Results(more);
    }

    public boolean has(String id) {
        return models.containsKey(id);
    }

    /** The number of measure {@code key} of model {@code id}, or NaN when not measured. */
    public double value(String id, String key) {
        ModelResults model = models.get(id);
        return model == null ? Double.NaN : model.value(key);
    }

    /** The values of {@code key} for the models that have it, in the order of {@code ids}. */
    public double[] values(Iterable<String> ids, String key) {
        List<Double> found = new ArrayList<>();
        for (String id : ids) {
            double v = value(id, key);
            if (!Double.isNaN(v)) {
                found.add(v);
            }
        }
        return found.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Per-seed differences a − b of {@code key}, over pairs where both are measured. */
    public double[] differences(List<String> a, List<String> b, String key) {
        List<Double> diffs = new ArrayList<>();
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            double x = value(a.get(i), key);
            double y = value(b.get(i), key);
            if (!Double.isNaN(x) && !Double.isNaN(y)) {
                diffs.add(x - y);
            }
        }
        return diffs.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
