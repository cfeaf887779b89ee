package org.parry.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.engine.Backward;
import org.parry.model.BlockClassifier;
import org.parry.testing.DropoutCnn;
import org.parry.testing.TestModels;

/** KD+BU: the density against a hand computation, then the detector on the tiny FGSM task. */
class KernelDensityUncertaintyTest {

    /**
     * Points (0,0), (1,0) of class 0 and (0,2) of class 1, h = 1, query (0,1):
     * as class 0, KD = (e^{−1/2} + e^{−2/2}) / 2; as class 1, KD = e^{−1/2}.
     */
    @Test
    void theDensityAgreesWithAHandComputedValue() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray points = manager.create(new float[] {0, 0, 1, 0, 0, 2}, new Shape(3, 2));
            NDArray pointClasses = manager.create(new long[] {0, 0, 1});
            NDArray query = manager.create(new float[] {0, 1, 0, 1}, new Shape(2, 2));
            NDArray classes = manager.create(new long[] {0, 1});
            float[] log = KernelDensityUncertainty.logDensity(query, classes, points,
                    pointClasses, 2, 1f).toFloatArray();
            assertThat((double) log[0]).isCloseTo(
                    Math.log((Math.exp(-0.5) + Math.exp(-1)) / 2), within(1e-6)); // −0.71905
            assertThat((double) log[1]).isCloseTo(-0.5, within(1e-6));
            // far from every point: log-sum-exp keeps what exp() would underflow to 0
            NDArray far = manager.create(new float[] {100, 100}, new Shape(1, 2));
            float farLog = KernelDensityUncertainty.logDensity(far, manager.create(new long[] {1}),
                    points, pointClasses, 2, 1f).getFloat(0);
            assertThat((double) farLog).isCloseTo(-(100 * 100 + 98 * 98) / 2.0, within(1e-2));
        }
    }

    @Test
    void separatesFgsmFromCleanImagesAndSurvivesSaving(@TempDir Path dir) throws Exception {
        BlockClassifier model = DropoutCnn.trained();
        try (KernelDensityUncertainty detector = (KernelDensityUncertainty) DetectorRegistry.fit(
                "kd-bu", DetectionFixture.fitData(model, 5), Map.of("passes", "20"));
                NDManager manager = NDManager.newBaseManager()) {
            // the last hidden layer: the Dropout's output, identical to the ReLU's in eval mode
            assertThat(detector.settings()).containsEntry("layer", "1.7")
                    .containsEntry("passes", 20);
            Roc roc = DetectionFixture.roc(detector, model);
            System.out.printf("kd-bu: FGSM(0.3) AUC %.3f, TPR at 5%% FPR %.3f%n", roc.auc(),
                    roc.truePositiveRateAt(0.05));
            assertThat(roc.auc()).isGreaterThan(0.8);
            NDArray x = DetectionFixture.heldOut().batch(manager, 0, 20).x();
            float[] scores = detector.scores(x).toFloatArray();
            for (float s : scores) {
                assertThat(s).isFinite();
            }
            assertThat(detector.scores(x).toFloatArray()).as("seeded dropout draws")
                    .containsExactly(scores);
            NDArray bu = detector.uncertainty(x);
            assertThat(bu.min().getFloat()).isGreaterThanOrEqualTo(-1e-6f);
            assertThat(bu.max().getFloat()).as("dropout varies the softmax").isPositive();
            try (Detector loaded = DetectionFixture.reloaded(detector, model, dir)) {
                assertThat(loaded.scores(x).toFloatArray()).containsExactly(scores);
            }
            NDArray leaf = x.duplicate();
            leaf.setRequiresGradient(true);
            try (GradientCollector collector = Backward.collector()) {
                NDArray s = detector.scoresForGradient(leaf);
                assertThat(s.stopGradient().toFloatArray()).containsExactly(scores);
                Backward.run(collector, s.sum());
            }
            assertThat(leaf.getGradient().abs().sum().getFloat()).isPositive();
        }
    }

    @Test
    void aModelWithoutDropoutNeedsPassesZeroForKdAlone() {
        BlockClassifier model = TestModels.syntheticCnn();
        FitData data = DetectionFixture.fitData(model, 5);
        assertThatThrownBy(() -> DetectorRegistry.fit("kd-bu", data, Map.of())).hasMessage(
                "kd-bu's BU needs Monte-Carlo dropout, through a Parry model with a Dropout layer,"
                + " and model 'small-cnn' (a BlockClassifier) has none: set kd-bu.passes=0 for KD"
                + " alone");
        try (Detector kd = DetectorRegistry.fit("kd-bu", data, Map.of("passes", "0"))) {
            Roc roc = DetectionFixture.roc(kd, model);
            System.out.printf("kd alone: FGSM(0.3) AUC %.3f, TPR at 5%% FPR %.3f%n", roc.auc(),
                    roc.truePositiveRateAt(0.05));
            assertThat(roc.auc()).isGreaterThan(0.7);
        }
        assertThatThrownBy(() -> DetectorRegistry.fit("kd-bu", data, Map.of("passes", "1")))
                .hasMessage("passes must be 0 (KD alone) or >= 2 (a variance needs two dropout"
                        + " draws), got 1");
        assertThatThrownBy(() -> DetectorRegistry.fit("kd-bu", data, Map.of("bandwidth", "0")))
                .hasMessage("bandwidth must be > 0, got 0.0");
        assertThatThrownBy(() -> DetectorRegistry.fit("kd-bu", data, Map.of("passes", "0",
                "layer", "hidden"))).hasMessage("kd-bu.layer names one layer, got hidden");
    }
}
