package org.parry.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.model.BlockClassifier;
import org.parry.testing.TestModels;

/** LID: the estimator's known answers, then the detector on the tiny FGSM task. */
class LocalIntrinsicDimensionalityTest {

    /** Neighbours at distances 1, 2, 4 (k = 3): LID = −3 / (log ¼ + log ½ + log 1) = 3 / log 8. */
    @Test
    void theEstimateAgreesWithAHandComputedValue() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // squared distances, unsorted, with the point itself (0) and a far point
            NDArray squared = manager.create(new float[] {16, 0, 1, 100, 4}, new Shape(1, 5));
            double expected = 3 / Math.log(8); // 1.4427
            assertThat((double) LocalIntrinsicDimensionality.estimate(squared, 3).getFloat(0))
                    .isCloseTo(expected, within(1e-5));
        }
    }

    /** The spec's: a 2-D plane in 50-D gives ≈ 2 at k = 20; a 10-D Gaussian between 7 and 12. */
    @Test
    void theEstimateFindsTheDimensionOfSyntheticData() {
        assertThat(meanLid(2, 50, 3)).isCloseTo(2.0, within(0.5));
        assertThat(meanLid(10, 10, 4)).isBetween(7.0, 12.0);
    }

    /** 1000 points of a standard Gaussian in a random dim-dimensional subspace of R^ambient. */
    private static double meanLid(int dim, int ambient, long seed) {
        Random random = new Random(seed);
        double[][] basis = new double[dim][ambient];
        for (double[] row : basis) {
            for (int j = 0; j < ambient; j++) {
                row[j] = random.nextGaussian();
            }
        }
        int n = 1000;
        float[] points = new float[n * ambient];
        for (int i = 0; i < n; i++) {
            for (int a = 0; a < dim; a++) {
                double z = random.nextGaussian();
                for (int j = 0; j < ambient; j++) {
                    points[i * ambient + j] += (float) (z * basis[a][j]);
                }
            }
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(points, new Shape(n, ambient));
            NDArray lid = LocalIntrinsicDimensionality.estimate(
                    PairwiseDistances.squared(x, x), 20);
            double mean = lid.mean().getFloat();
            System.out.printf("LID of a %d-D Gaussian in %d-D: %.3f%n", dim, ambient, mean);
            return mean;
        }
    }

    @Test
    void separatesFgsmFromCleanImagesAndSurvivesSaving(@TempDir Path dir) throws Exception {
        BlockClassifier model = TestModels.syntheticCnn();
        try (Detector lid = DetectorRegistry.fit("lid", DetectionFixture.fitData(model, 5),
                Map.of()); NDManager manager = NDManager.newBaseManager()) {
            assertThat(lid.settings()).containsEntry("k", 20).containsEntry("reference", 100)
                    .containsEntry("layers", "1.2,1.6,1.8,logits");
            Roc roc = DetectionFixture.roc(lid, model);
            System.out.printf("lid: FGSM(0.3) AUC %.3f, TPR at 5%% FPR %.3f%n", roc.auc(),
                    roc.truePositiveRateAt(0.05));
            assertThat(roc.auc()).isGreaterThan(0.8);
            NDArray x = DetectionFixture.heldOut().batch(manager, 0, 20).x();
            float[] scores = lid.scores(x).toFloatArray();
            for (float s : scores) {
                assertThat(s).isFinite();
            }
            try (Detector loaded = DetectionFixture.reloaded(lid, model, dir)) {
                assertThat(loaded.scores(x).toFloatArray()).containsExactly(scores);
            }
        }
    }

    @Test
    void badSettingsGiveOneLineErrors() {
        BlockClassifier model = TestModels.syntheticCnn();
        FitData data = DetectionFixture.fitData(model, 5);
        assertThatThrownBy(() -> DetectorRegistry.fit("lid", data, Map.of("k", "30",
                "reference", "20"))).hasMessage("reference (B, the clean reference points; must"
                + " exceed k) must be >= 31, got 20");
        assertThatThrownBy(() -> DetectorRegistry.fit("lid", data, Map.of("layers", "2.5")))
                .hasMessageStartingWith("model 'small-cnn' has no layer '2.5'; its layers:");
        assertThatThrownBy(() -> DetectorRegistry.fit("lid", data, Map.of("reference", "500")))
                .hasMessage("lid needs at least reference = 500 clean images to draw its"
                        + " reference points from, got 400; give more clean images or lower"
                        + " lid.reference");
        assertThatThrownBy(() -> DetectorRegistry.fit("lid", FitData.clean(model,
                data.clean(), 1), Map.of())).hasMessageStartingWith(
                "lid is a supervised detector: fit it on adversarial examples too");
    }
}
