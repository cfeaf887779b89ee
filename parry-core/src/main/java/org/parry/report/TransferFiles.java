package org.parry.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parry.eval.TransferMatrix;
import org.parry.io.AtomicFiles;
import org.parry.model.SavedModel;

/**
 * Writes a {@link TransferMatrix}, each file atomically: {@value #JSON} (models, attacks and
 * their settings, the clean and adversarial error rates of every attack, source and target, and
 * the worst black-box attack per target; null where a query-only model would have been the
 * source) and {@value #HEATMAP} (the error rates as a heat map).
 */
public final class TransferFiles {

    /** The results' file name. */
    public static final String JSON = "transfer.json";
    /** The heat map's file name. */
    public static final String HEATMAP = "transfer.png";

    private TransferFiles() {}

    /**
     * The matrix as JSON.
     *
     * @param context what the caller wants recorded beside it (data set, seed, model paths)
     */
    public static void writeJson(Path file, TransferMatrix matrix, Map<String, Object> context)
            throws IOException {
        Map<String, Object> json = new LinkedHashMap<>(context);
        json.put("metric", "error rate: fraction of all samples the target misclassifies at the"
                + " adversarial example (clean errors included); diagonal = white-box");
        json.put("models", matrix.models());
        json.put("n", matrix.n());
        json.put("clean_error", matrix.cleanError());
        List<Map<String, Object>> attacks = new ArrayList<>();
        for (int a = 0; a < matrix.attacks().size(); a++) {
            Map<String, Object> attack = new LinkedHashMap<>();
            attack.put("name", matrix.attacks().get(a));
            attack.put("settings", matrix.attackSettings().get(a));
            List<List<Double>> bySource = new ArrayList<>();
            for (double[] row : matrix.errorRate()[a]) {
                bySource.add(java.util.Arrays.stream(row)
                        .mapToObj(rate -> Double.isNaN(rate) ? null : rate).toList());
            }
            attack.put("error_rate_source_by_target", bySource);
            attack.put("gradients_by_source", matrix.gradients()[a]);
            attacks.add(attack);
        }
        json.put("attacks", attacks);
        json.put("worst_black_box", matrix.worstBlackBox());
        AtomicFiles.write(file, out -> SavedModel.json().writeValue(out, json));
    }

    /** The error rates as a PNG heat map. */
    public static void writeHeatmap(Path file, TransferMatrix matrix) throws IOException {
        byte[] png = Charts.transferHeatmap(matrix);
        AtomicFiles.write(file, out -> out.write(png));
    }
}
