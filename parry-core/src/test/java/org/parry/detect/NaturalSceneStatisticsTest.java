package org.parry.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.engine.Backward;
import org.parry.model.Bounds;

/**
 * NSS's statistics and detector: MSCN of a constant image is 0, the moment-matching fits recover
 * the shape of Gaussian (α = 2) and Laplacian (α = 1) samples and the asymmetry of an asymmetric
 * sample, the SVM on the features separates FGSM examples, the gradient path is the score, and a
 * saved detector scores the same.
 */
class NaturalSceneStatisticsTest {

    @Test
    void theMscnOfAConstantImageIsZero() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray grey = manager.full(new Shape(2, 1, 12, 9), 173f).toType(DataType.FLOAT64, false);
            double[] mscn = NaturalSceneStatistics.mscn(grey).toDoubleArray();
            for (double value : mscn) {
                assertThat(value).isCloseTo(0, within(1e-9));
            }
        }
    }

    @Test
    void theGgdShapeOfGaussianSamplesIsTwoAndOfLaplacianSamplesOne() {
        int n = 20_000;
        Random random = new Random(4);
        double[] samples = new double[2 * n];
        for (int i = 0; i < n; i++) {
            samples[i] = 3 * random.nextGaussian();
            // Laplace(0, 2): the difference of two exponentials.
            samples[n + i] = 2 * (Math.log(random.nextDouble()) - Math.log(random.nextDouble()));
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            double[] fits = NaturalSceneStatistics.ggd(manager.create(samples, new Shape(2, n)))
                    .toDoubleArray();
            // The moment estimator's spread at n = 20,000 is a few hundredths.
            assertThat(fits[0]).as("Gaussian α").isCloseTo(2, within(0.1));
            assertThat(fits[1]).as("Gaussian σ²").isCloseTo(9, within(0.3));
            assertThat(fits[2]).as("Laplacian α").isCloseTo(1, within(0.1));
            assertThat(fits[3]).as("Laplacian σ² = 2b²").isCloseTo(8, within(0.4));
            // An AGGD with α = 2, σ_l = 1 and σ_r = 2: Gaussian halves, the left one drawn with
            // probability σ_l / (σ_l + σ_r).
            double[] asymmetric = new double[n];
            for (int i = 0; i < n; i++) {
                double g = Math.abs(random.nextGaussian());
                asymmetric[i] = random.nextDouble() < 1.0 / 3 ? -g : 2 * g;
            }
            double[] aggd = NaturalSceneStatistics.aggd(manager.create(asymmetric,
                    new Shape(1, n))).toDoubleArray();
            assertThat(aggd[0]).as("AGGD α").isCloseTo(2, within(0.15));
            // η = (σ_r − σ_l) Γ(2/α)/√(Γ(1/α)Γ(3/α)) = 1 · √(2/π) at α = 2.
            assertThat(aggd[1]).as("AGGD η").isCloseTo(Math.sqrt(2 / Math.PI), within(0.05));
            assertThat(aggd[2]).as("σ_l²").isCloseTo(1, within(0.05));
            assertThat(aggd[3]).as("σ_r²").isCloseTo(4, within(0.2));
        }
        assertThat(Math.exp(NaturalSceneStatistics.logGamma(5))).isCloseTo(24, within(1e-9));
        assertThat(Math.exp(NaturalSceneStatistics.logGamma(0.5)))
                .isCloseTo(Math.sqrt(Math.PI), within(1e-12));
    }

    @Test
    void theSvmSeparatesFgsmExamplesAndASavedDetectorScoresTheSame(@TempDir Path directory)
            throws IOException {
        try (Detector detector = DetectorRegistry.fit(NaturalSceneStatistics.NAME,
                TinyDetectionTask.supervisedFit(0), Map.of());
                NDManager manager = NDManager.newBaseManager()) {
            Roc roc = TinyDetectionTask.roc(detector);
            System.out.printf("nss: FGSM eps=%.2f AUC %.3f, TPR at 5%% FPR %.3f%n",
                    TinyDetectionTask.EPSILON, roc.auc(), roc.truePositiveRateAt(0.05));
            assertThat(roc.auc()).isGreaterThan(0.9);
            for (float score : roc.clean()) {
                assertThat(Float.isFinite(score)).isTrue();
            }
            detector.save(directory);
            NDArray x = TinyDetectionTask.testAdversarial().batch(manager, 0, 32).x();
            float[] scores = detector.scores(x).toFloatArray();
            try (Detector loaded = DetectorRegistry.load(NaturalSceneStatistics.NAME, directory,
                    TinyDetectionTask.model(), detector.settings())) {
                assertThat(loaded.scores(x).toFloatArray()).containsExactly(scores);
            }
            NDArray leaf = x.duplicate();
            leaf.setRequiresGradient(true);
            float[] values;
            try (GradientCollector collector = Backward.collector()) {
                NDArray forGradient = detector.scoresForGradient(leaf);
                values = forGradient.toFloatArray();
                Backward.run(collector, forGradient.sum());
            }
            assertThat(values).containsExactly(scores);
            NDArray gradient = leaf.getGradient();
            assertThat(gradient.isNaN().any().getBoolean()).isFalse();
            assertThat(gradient.abs().sum().getFloat()).isGreaterThan(0f);
        }
    }

    @Test
    void badSettingsSayWhatToChange() {
        assertThatThrownBy(() -> DetectorRegistry.fit(NaturalSceneStatistics.NAME,
                TinyDetectionTask.cleanFit(0), Map.of())).hasMessageStartingWith(
                        "nss is a supervised detector: fit it on adversarial examples too");
        FitData data = TinyDetectionTask.supervisedFit(0);
        assertThatThrownBy(() -> DetectorRegistry.fit(NaturalSceneStatistics.NAME, data,
                Map.of("gamma", "wide"))).hasMessageStartingWith(
                        "nss: gamma=wide is neither 'scale' nor a number");
        assertThatThrownBy(() -> DetectorRegistry.fit(NaturalSceneStatistics.NAME, data,
                Map.of("c", "-1"))).hasMessage("svm: C must be > 0, got -1.0");
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> NaturalSceneStatistics.features(
                    manager.zeros(new Shape(1, 1, 3, 3), DataType.FLOAT32), Bounds.UNIT))
                    .hasMessageStartingWith("nss: expected images [N, C, H, W] of at least 4 x 4");
        }
    }
}
