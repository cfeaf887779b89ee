package org.parry.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.engine.Backward;
import org.parry.testing.AffineClassifier;

/**
 * Feature squeezing as the paper defines it: a classifier that ignores its input scores 0, FGSM
 * examples score above clean images, the BPDA path gives the scores' values with a gradient that
 * bit-depth reduction alone would zero, and the squeezers come back from a saved detector. (The
 * squeezers' own conventions are tested with the stages, in StagesTest.)
 */
class FeatureSqueezingTest {

    @Test
    void aClassifierThatIgnoresItsInputScoresZero() {
        float[][] weights = new float[3][28 * 28];
        try (AffineClassifier constant = new AffineClassifier(weights, new float[] {1f, -2f, 0.5f},
                        new Shape(1, 28, 28));
                NDManager manager = NDManager.newBaseManager()) {
            NDArray x = TinyDetectionTask.test().batch(manager, 0, 50).x();
            assertThat(FeatureSqueezing.mnist(constant).scores(x).toFloatArray()).containsOnly(0f);
        }
    }

    @Test
    void fgsmExamplesScoreAboveCleanImages() {
        Detector detector = DetectorRegistry.fit(FeatureSqueezing.NAME,
                TinyDetectionTask.cleanFit(0), Map.of());
        Roc roc = TinyDetectionTask.roc(detector);
        System.out.printf("feature-squeezing: FGSM eps=%.2f AUC %.3f, TPR at 5%% FPR %.3f%n",
                TinyDetectionTask.EPSILON, roc.auc(), roc.truePositiveRateAt(0.05));
        // Measured 0.837 (TPR 0.695 at 5 % FPR).
        assertThat(roc.auc()).isGreaterThan(0.75);
        for (float score : roc.clean()) {
            assertThat(score).isBetween(0f, 2f);
        }
    }

    @Test
    void theGradientPathGivesTheScoresAndPassesBitDepthByItsStandIn() {
        FeatureSqueezing detector = FeatureSqueezing.mnist(TinyDetectionTask.model());
        FeatureSqueezing bitsOnly = new FeatureSqueezing(TinyDetectionTask.model(), 1, 0);
        assertThat(detector.differentiable()).isFalse();
        assertThat(new FeatureSqueezing(TinyDetectionTask.model(), 0, 3).differentiable()).isTrue();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = TinyDetectionTask.testAdversarial().batch(manager, 0, 16).x();
            float[] scores = detector.scores(x).toFloatArray();
            float[] values;
            NDArray leaf = x.duplicate();
            leaf.setRequiresGradient(true);
            try (GradientCollector collector = Backward.collector()) {
                NDArray forGradient = bitsOnly.scoresForGradient(leaf);
                values = detector.scoresForGradient(leaf).toFloatArray();
                Backward.run(collector, forGradient.sum());
            }
            assertThat(values).containsExactly(scores);
            NDArray gradient = leaf.getGradient();
            assertThat(gradient.isInfinite().any().getBoolean()).isFalse();
            // Through the bit-depth squeezer alone, autograd's derivative is zero everywhere; the
            // stand-in's is the classifier's on x minus its on s(x), which is not.
            assertThat(gradient.abs().sum().getFloat()).isGreaterThan(0f);
        }
    }

    @Test
    void aSavedDetectorLoadsWithTheSameScores(@TempDir Path directory) throws IOException {
        Detector fitted = DetectorRegistry.fit(FeatureSqueezing.NAME,
                TinyDetectionTask.cleanFit(0), Map.of("bits", "3", "median", "3"));
        fitted.save(directory);
        Detector loaded = DetectorRegistry.load(FeatureSqueezing.NAME, directory,
                TinyDetectionTask.model(), fitted.settings());
        assertThat(loaded.settings()).isEqualTo(Map.of("bits", 3, "median", 3));
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = TinyDetectionTask.testAdversarial().batch(manager, 0, 32).x();
            assertThat(loaded.scores(x).toFloatArray())
                    .containsExactly(fitted.scores(x).toFloatArray());
        }
    }

    @Test
    void badSettingsSayWhatToChange() {
        FitData data = TinyDetectionTask.cleanFit(0);
        assertThatThrownBy(() -> DetectorRegistry.fit(FeatureSqueezing.NAME, data,
                Map.of("bits", "9"))).hasMessage("bit-depth: bits must be in 1..8, got 9");
        assertThatThrownBy(() -> DetectorRegistry.fit(FeatureSqueezing.NAME, data,
                Map.of("bits", "0", "median", "0"))).hasMessageStartingWith(
                        "feature-squeezing: no squeezer left (bits=0 and median=0)");
        assertThatThrownBy(() -> DetectorRegistry.fit(FeatureSqueezing.NAME, data,
                Map.of("size", "2"))).hasMessage("detector 'feature-squeezing' has no setting"
                        + " [size]; its settings are [bits, median]");
    }
}
