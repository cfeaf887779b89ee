package org.parry.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.engine.Backward;
import org.parry.model.Layers;
import org.parry.testing.AffineClassifier;

/**
 * NIC on the tiny task: it reads every stage output and the logits, scores FGSM examples above
 * clean images, breaks more invariants on them, gives its scores with an exact gradient, comes back
 * identical from its directory, and refuses bad settings in one line.
 */
class NeuralInvariantCheckingTest {

    @Test
    void itSeparatesFgsmExamplesAndASavedDetectorScoresTheSame(@TempDir Path directory)
            throws IOException {
        try (Detector detector = DetectorRegistry.fit(NeuralInvariantChecking.NAME,
                TinyDetectionTask.cleanFit(0), Map.of());
                NDManager manager = NDManager.newBaseManager()) {
            NeuralInvariantChecking nic = (NeuralInvariantChecking) detector;
            List<String> stages = Layers.of(TinyDetectionTask.model()).stageOutputs().stream()
                    .map(Layers.Layer::path).toList();
            assertThat(nic.layers()).hasSize(stages.size() + 1).startsWith(stages.toArray(
                    String[]::new)).endsWith(FeatureSource.LOGITS);
            Roc roc = TinyDetectionTask.roc(detector);
            System.out.printf("nic: FGSM eps=%.2f AUC %.3f, TPR at 5%% FPR %.3f%n",
                    TinyDetectionTask.EPSILON, roc.auc(), roc.truePositiveRateAt(0.05));
            assertThat(roc.auc()).isGreaterThan(0.75);
            for (float score : roc.adversarial()) {
                assertThat(Float.isFinite(score)).isTrue();
            }
            NDArray clean = TinyDetectionTask.test().batch(manager, 0, 64).x();
            NDArray x = TinyDetectionTask.testAdversarial().batch(manager, 0, 64).x();
            int layers = nic.layers().size();
            assertThat(nic.invariants(x).getShape()).isEqualTo(new Shape(64, 2L * layers - 1));
            float brokenClean = nic.invariants(clean).lt(0).toType(DataType.FLOAT32, false)
                    .mean().getFloat();
            float brokenAdversarial = nic.invariants(x).lt(0).toType(DataType.FLOAT32, false)
                    .mean().getFloat();
            System.out.printf("nic: invariants broken on clean %.3f, on FGSM %.3f%n",
                    brokenClean, brokenAdversarial);
            assertThat(brokenAdversarial).isGreaterThan(brokenClean);
            detector.save(directory);
            float[] scores = detector.scores(x).toFloatArray();
            try (Detector loaded = DetectorRegistry.load(NeuralInvariantChecking.NAME, directory,
                    TinyDetectionTask.model(), detector.settings())) {
                assertThat(loaded.scores(x).toFloatArray()).containsExactly(scores);
            }
            NDArray leaf = x.duplicate();
            leaf.setRequiresGradient(true);
            try (GradientCollector collector = Backward.collector()) {
                NDArray forGradient = detector.scoresForGradient(leaf);
                assertThat(forGradient.toFloatArray()).containsExactly(scores);
                Backward.run(collector, forGradient.sum());
            }
            assertThat(leaf.getGradient().isNaN().any().getBoolean()).isFalse();
            assertThat(leaf.getGradient().abs().sum().getFloat()).isGreaterThan(0f);
        }
    }

    @Test
    void aLargeFeatureMapIsReadAsItsChannelMeans() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray maps = manager.arange(2f * 3 * 2 * 2).reshape(2, 3, 2, 2);
            assertThat(NeuralInvariantChecking.read(maps, 12).getShape())
                    .isEqualTo(new Shape(2, 12));
            // Above 11 values per image: the means of each channel's four positions.
            assertThat(NeuralInvariantChecking.read(maps, 11).toFloatArray())
                    .containsExactly(1.5f, 5.5f, 9.5f, 13.5f, 17.5f, 21.5f);
        }
    }

    @Test
    void badSettingsAndModelsAreRefusedInOneLine() {
        FitData fit = TinyDetectionTask.cleanFit(0);
        assertThatThrownBy(() -> DetectorRegistry.fit(NeuralInvariantChecking.NAME, fit,
                Map.of("nu", "0"))).hasMessage("svm: nu must be in (0, 1), got 0.0");
        assertThatThrownBy(() -> DetectorRegistry.fit(NeuralInvariantChecking.NAME, fit,
                Map.of("c", "-1"))).hasMessage("svm: C must be > 0, got -1.0");
        assertThatThrownBy(() -> DetectorRegistry.fit(NeuralInvariantChecking.NAME, fit,
                Map.of("samples", "3"))).hasMessage("nic: samples must be >= 4, got 3");
        assertThatThrownBy(() -> DetectorRegistry.fit(NeuralInvariantChecking.NAME, fit,
                Map.of("flat", "0"))).hasMessage("nic: flat must be >= 1, got 0");
        assertThatThrownBy(() -> DetectorRegistry.fit(NeuralInvariantChecking.NAME, fit,
                Map.of("gamma", "1"))).hasMessageStartingWith("detector 'nic' has no setting"
                        + " [gamma]");
        assertThatThrownBy(() -> DetectorRegistry.fit(NeuralInvariantChecking.NAME, fit,
                Map.of("layers", "9.9"))).hasMessageContaining("has no layer '9.9'");
        try (AffineClassifier affine = AffineClassifier.random(3, new Shape(1, 28, 28), 1f, 0)) {
            assertThatThrownBy(() -> DetectorRegistry.fit(NeuralInvariantChecking.NAME,
                    FitData.clean(affine, TinyDetectionTask.fitting(), 0), Map.of()))
                    .hasMessageContaining("does not expose its layers");
        }
    }
}
