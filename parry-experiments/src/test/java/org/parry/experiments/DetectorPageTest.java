package org.parry.experiments;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.parry.detect.CalibratedDetector;
import org.parry.detect.DetectionResult;
import org.parry.detect.DetectionSummary;
import org.parry.detect.Roc;

/** The detection page from hand-made numbers: tables, the survey's column and the verdicts. */
class DetectorPageTest {

    private static CalibratedDetector.Card card(String name, List<String> attacks) {
        return new CalibratedDetector.Card(CalibratedDetector.FORMAT, name, Map.of(), attacks,
                "small-cnn", new int[] {1, 28, 28}, 10, new float[] {0f}, "mnist", "ab", 5000,
                1000, 0.05, 1f, 0.5f, 2.5, "test", "2026-12-06T00:00:00Z");
    }

    private static DetectionResult result(String detector, String attack, String mode,
            double auc, double tpr, double rate, double guarded) {
        return new DetectionResult(detector, attack, mode, 1f, 0.04, auc, tpr, tpr, rate, rate,
                100, 80, guarded, 0.1, new Roc.Curve(new double[] {0, 1}, new double[] {0, 1}),
                0.5, mode.equals(DetectionResult.ADAPTIVE) ? "exact" : "none");
    }

    @Test
    void thePageShowsEachDetectorAgainstEachAttackAndChecksTheExpectedPattern() {
        List<DetectionResult> results = new ArrayList<>();
        for (String attack : DetectorPage.ATTACKS) {
            boolean easy = attack.equals("fgsm") || attack.equals("pgd");
            results.add(result("lid", attack, DetectionResult.OBLIVIOUS, easy ? 0.95 : 0.7,
                    0.8, 0.75, 0.8));
        }
        results.add(result("lid", "pgd", DetectionResult.ADAPTIVE, 0.6, 0.1, 0.05, 0.2));
        DetectionSummary summary = new DetectionSummary(0.05, 100,
                List.of(card("lid", List.of("fgsm"))), results);
        DetectorResults set = new DetectorResults(Map.of()).with(new DetectorResults
                .DataSetResult("mnist", "standard small-cnn", 0.99, 100, 0.25f, Map.of(), 5000,
                0.2, 1.0, summary));

        String page = DetectorPage.render(set, "./detector-table");

        assertThat(page).contains("| lid (fit on fgsm) | 0.950 / 0.800 / 0.750 | 0.950 / 0.800 /"
                        + " 0.750 | 0.700 / 0.800 / 0.750 |")
                .contains("| lid | exact | 0.750 | 0.050 | 0.800 | 0.100 | 80 of 100 | 80.0% |"
                        + " 20.0% | 10.0% |")
                .contains("| lid | 77.1 → 75.0 | 75.0 → 75.0 | 64.4 → 75.0 | 93.3 → 75.0 |"
                        + " 0.07 → 4.0 |")
                .contains("behind a guard with all 1 detectors, 1.000 ms (×5.0), in batches of 100 (medians")
                .contains("- Large-ε FGSM and PGD have AUC > 0.9 for most detectors: 1 of 1 —"
                        + " holds.")
                .contains("- lid, fit on FGSM, loses ≥ 0.1 AUC on C&W: 0.950 → 0.700 (-0.250) —"
                        + " holds.")
                .contains("cuts TPR at 5% FPR below 0.2: below for lid 0.100; not for none.");
    }
}
