package org.parry.detect;

import java.util.List;

/**
 * The detection part of a report: every detector against every attack, oblivious and adaptive.
 *
 * @param falsePositiveRate the target rate q each detector's threshold was fitted at
 * @param cleanImages held-out clean test images scored (the negatives)
 * @param detectors the detectors' cards
 * @param results per detector, attack and mode
 */
public record DetectionSummary(double falsePositiveRate, int cleanImages,
        List<CalibratedDetector.Card> detectors, List<DetectionResult> results) {

    public DetectionSummary {
        detectors = List.copyOf(detectors);
        results = List.copyOf(results);
    }
}
