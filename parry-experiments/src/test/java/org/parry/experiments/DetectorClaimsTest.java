package org.parry.experiments;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.parry.detect.DetectionResult;
import org.parry.detect.DetectorRegistry;

/**
 * Acceptance tests of docs/detectors.md on its committed numbers ({@code
 * docs/detectors/results.json}): every detector Parry has was measured on both data sets, every
 * number is consistent with its definition, the detector-aware attack never does worse than the
 * oblivious one, and the page is exactly the rendering of the numbers.
 */
class DetectorClaimsTest {

    private static final Path PAGE = Path.of("..", "docs", "detectors.md");

    private static DetectorResults results() throws IOException {
        return DetectorResults.read(DefenseTable.resultsFile(PAGE));
    }

    @Test
    void everyRegisteredDetectorIsMeasuredOnBothDataSets() throws IOException {
        DetectorResults results = results();
        assertThat(results.sets()).containsOnlyKeys("mnist", "fashion-mnist");
        for (DetectorResults.DataSetResult set : results.sets().values()) {
            List<String> measured = set.summary().detectors().stream()
                    .map(c -> c.detector()).toList();
            assertThat(measured).as(set.dataset()).containsExactlyElementsOf(
                    DetectorRegistry.names());
            for (String detector : measured) {
                for (String attack : DetectorPage.ATTACKS) {
                    assertThat(DetectorPage.find(set.summary(), detector, attack,
                            DetectionResult.OBLIVIOUS)).as(detector + " " + attack).isNotNull();
                }
                assertThat(DetectorPage.find(set.summary(), detector, "pgd",
                        DetectionResult.ADAPTIVE)).as(detector + " adaptive").isNotNull();
            }
        }
    }

    @Test
    void everyNumberIsConsistentWithItsDefinition() throws IOException {
        for (DetectorResults.DataSetResult set : results().sets().values()) {
            assertThat(set.cleanAccuracy()).isBetween(0.8, 1.0);
            for (DetectionResult r : set.summary().results()) {
                String what = set.dataset() + " " + r.detector() + " " + r.attack() + " "
                        + r.mode();
                assertThat(r.successful()).as(what).isBetween(0, r.attacked());
                assertThat(r.attacked()).as(what).isEqualTo(set.summary().cleanImages());
                // θ was set at 5% FPR on 1000 other clean images: at most about 5% here
                assertThat(r.cleanFpr()).as(what).isBetween(0.0, 0.1);
                assertThat(r.guardedAccuracy()).as(what).isBetween(0.0, set.cleanAccuracy());
                assertThat(r.undefendedAccuracy()).as(what).isBetween(0.0, set.cleanAccuracy());
                if (r.successful() > 0) {
                    assertThat(r.auc()).as(what).isBetween(0.0, 1.0);
                    assertThat(r.detectionRate()).as(what).isBetween(0.0, 1.0);
                    assertThat(r.roc().fpr()).as(what).isNotEmpty();
                }
                assertThat(r.gradients()).as(what).isEqualTo(
                        r.mode().equals(DetectionResult.OBLIVIOUS) ? "none"
                                : r.gradients().equals("bpda") ? "bpda" : "exact");
            }
        }
    }

    @Test
    void theDetectorAwareAttackNeverDoesWorseThanTheObliviousOne() throws IOException {
        for (DetectorResults.DataSetResult set : results().sets().values()) {
            for (String detector : DetectorRegistry.names()) {
                DetectionResult oblivious = DetectorPage.find(set.summary(), detector, "pgd",
                        DetectionResult.OBLIVIOUS);
                DetectionResult adaptive = DetectorPage.find(set.summary(), detector, "pgd",
                        DetectionResult.ADAPTIVE);
                String what = set.dataset() + " " + detector;
                assertThat(adaptive.detectionRate()).as(what)
                        .isLessThanOrEqualTo(oblivious.detectionRate() + 0.02);
                assertThat(adaptive.guardedAccuracy()).as(what)
                        .isLessThanOrEqualTo(oblivious.guardedAccuracy() + 0.02);
            }
        }
    }

    @Test
    void theCommittedPageIsTheRenderingOfTheCommittedResults() throws IOException {
        assertThat(Files.readString(PAGE)).isEqualTo(
                DetectorPage.render(results(), DetectorTable.COMMAND));
    }
}
