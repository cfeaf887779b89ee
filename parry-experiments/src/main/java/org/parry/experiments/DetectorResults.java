package org.parry.experiments;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.parry.detect.DetectionSummary;
import org.parry.io.AtomicFiles;
import org.parry.model.SavedModel;

/**
 * The detection experiment's numbers per data set, kept beside its page ({@code
 * docs/detectors/results.json}) and committed: what the page is rendered from and what the
 * acceptance tests read.
 *
 * @param sets results by data set name
 */
public record DetectorResults(Map<String, DataSetResult> sets) {

    /**
     * One data set's run.
     *
     * @param dataset the data set's name
     * @param model how the classifier was trained
     * @param cleanAccuracy its accuracy on the test images
     * @param testImages test images evaluated
     * @param epsilon the L∞ budget of FGSM and PGD (C&amp;W-L2 and DeepFool are minimum-norm)
     * @param attacks each attack's settings, by name
     * @param fitImages clean training images the detectors were fitted on
     * @param forwardMillis the classifier's time per test image, batches of 100 (the median of
     *     three passes over the test images)
     * @param guardMillis a {@link org.parry.detect.Guard} with every detector, per test image,
     *     measured the same way
     * @param summary every detector against every attack
     */
    public record DataSetResult(String dataset, String model, double cleanAccuracy, int testImages,
            float epsilon, Map<String, Map<String, Object>> attacks, int fitImages,
            double forwardMillis, double guardMillis,
            DetectionSummary summary) {}

    public DetectorResults {
        sets = new TreeMap<>(sets);
    }

    /** The results in {@code file}, or none when it does not exist. */
    public static DetectorResults read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return new DetectorResults(Map.of());
        }
        return new DetectorResults(SavedModel.json().readValue(file.toFile(),
                new TypeReference<TreeMap<String, DataSetResult>>() {}));
    }

    public void write(Path file) throws IOException {
        AtomicFiles.write(file, out ->
                SavedModel.json().writerWithDefaultPrettyPrinter().writeValue(out, sets));
    }

    /** These results with one data set's replaced. */
    public DetectorResults with(DataSetResult set) {
        Map<String, DataSetResult> more = new TreeMap<>(sets);
        more.put(set.dataset(), set);
        return new DetectorResults(more);
    }
}
