package org.parry.detect;

import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parry.data.ImageDataset;

/**
 * Scores and flags of a set of inputs under several calibrated detectors.
 *
 * @param detectors the detectors, in order
 * @param scores per detector, the score of each input
 */
public record DetectorScores(List<CalibratedDetector> detectors, List<float[]> scores) {

    /** Scores the images of a data set. */
    public static DetectorScores of(List<CalibratedDetector> detectors, ImageDataset images,
            int batchSize) {
        List<float[]> scores = new ArrayList<>();
        for (CalibratedDetector detector : detectors) {
            scores.add(CalibratedDetector.scores(detector.detector(), images, batchSize));
        }
        return new DetectorScores(detectors, scores);
    }

    /** Scores images given as pixels of shape (C, H, W) each. */
    public static DetectorScores of(List<CalibratedDetector> detectors, float[] pixels,
            Shape imageShape, int batchSize) {
        List<float[]> scores = new ArrayList<>();
        for (CalibratedDetector detector : detectors) {
            scores.add(CalibratedDetector.scores(detector.detector(), pixels, imageShape,
                    batchSize));
        }
        return new DetectorScores(detectors, scores);
    }

    /** The number of inputs. */
    public int size() {
        return scores.get(0).length;
    }

    /** Whether detector {@code d} flags input {@code i}. */
    public boolean flagged(int d, int i) {
        return scores.get(d)[i] > detectors.get(d).threshold();
    }

    /** How many inputs detector {@code d} flags. */
    public int flaggedBy(int d) {
        int count = 0;
        for (int i = 0; i < size(); i++) {
            count += flagged(d, i) ? 1 : 0;
        }
        return count;
    }

    /** How many inputs at least one detector flags. */
    public int flaggedByAny() {
        int count = 0;
        for (int i = 0; i < size(); i++) {
            boolean any = false;
            for (int d = 0; d < detectors.size() && !any; d++) {
                any = flagged(d, i);
            }
            count += any ? 1 : 0;
        }
        return count;
    }

    /** Per detector: its name, threshold, scores and flags, for a JSON file. */
    public List<Map<String, Object>> json() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int d = 0; d < detectors.size(); d++) {
            boolean[] flags = new boolean[size()];
            for (int i = 0; i < flags.length; i++) {
                flags[i] = flagged(d, i);
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("detector", detectors.get(d).detector().name());
            entry.put("threshold", detectors.get(d).threshold());
            entry.put("false_positive_rate", detectors.get(d).card().falsePositiveRate());
            entry.put("scores", scores.get(d));
            entry.put("flagged", flags);
            out.add(entry);
        }
        return out;
    }
}
