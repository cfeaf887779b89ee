package org.parry.cli;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.parry.data.ImageDataset;
import org.parry.eval.ConfusionMatrix;
import org.parry.model.Classifier;

/** Clean evaluation as the CLI shows it: accuracy, per-class accuracy, confusion matrix. */
final class Evaluation {

    private Evaluation() {}

    static ConfusionMatrix measure(Classifier model, ImageDataset data, int batchSize) {
        ProgressBar bar = new ProgressBar("evaluate", data.size());
        return ConfusionMatrix.measure(model, data, batchSize, done -> bar.update(done, ""));
    }

    static void print(ConfusionMatrix matrix, PrintStream out) {
        out.printf(Locale.ROOT, "clean accuracy: %.4f (%d images)%n%n", matrix.accuracy(), matrix.total());
        List<String> names = matrix.classNames();
        double[] perClass = matrix.perClassAccuracy();
        int nameWidth = names.stream().mapToInt(String::length).max().orElse(5);
        out.printf("%-" + nameWidth + "s  accuracy%n", "class");
        for (int c = 0; c < names.size(); c++) {
            out.printf(Locale.ROOT, "%-" + nameWidth + "s  %.4f%n", names.get(c), perClass[c]);
        }
        out.println();
        out.println("confusion matrix (rows: true class, columns: predicted class)");
        out.printf("%" + nameWidth + "s", "");
        for (int c = 0; c < matrix.counts()[0].length; c++) {
            out.printf(" %5d", c);
        }
        out.println();
        for (int r = 0; r < names.size(); r++) {
            out.printf("%-" + nameWidth + "s", names.get(r));
            for (long count : matrix.counts()[r]) {
                out.printf(" %5d", count);
            }
            out.println();
        }
    }

    static Map<String, Object> toJson(ConfusionMatrix matrix) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("n", matrix.total());
        json.put("clean_accuracy", matrix.accuracy());
        Map<String, Double> perClass = new LinkedHashMap<>();
        for (int c = 0; c < matrix.classNames().size(); c++) {
            perClass.put(matrix.classNames().get(c), matrix.perClassAccuracy()[c]);
        }
        json.put("per_class_accuracy", perClass);
        json.put("class_names", matrix.classNames());
        json.put("confusion_matrix", matrix.counts());
        return json;
    }
}
