package org.parry.detect;

import java.util.List;
import java.util.Locale;

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

    /** A text table, a row per detector, attack and mode. */
    public String table() {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%-18s %-12s %-9s %6s %7s %7s %6s %8s %7s %8s%n", "detector", "attack", "mode",
                "AUC", "TPR@5%", "DR", "fooled", "cleanFPR", "guarded", "undefend"));
        for (DetectionResult r : results) {
            out.append(String.format(Locale.ROOT,
                    "%-18s %-12s %-9s %6.3f %7.3f %7.3f %6d %8.3f %7.3f %8.3f%n", r.detector(),
                    r.attack(), r.mode(), r.auc(), r.tprAt5(), r.detectionRate(), r.successful(),
                    r.cleanFpr(), r.guardedAccuracy(), r.undefendedAccuracy()));
        }
        return out.toString();
    }
}
