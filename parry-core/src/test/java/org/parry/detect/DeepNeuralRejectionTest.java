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
import org.parry.model.Layers;
import org.parry.testing.AffineClassifier;

/**
 * DNR on the tiny task: it reads the last three stages, scores FGSM examples above clean images,
 * gives its scores with an exact gradient, comes back identical from its directory, and names the
 * fix for a model without readable layers or a wrong layer.
 */
class DeepNeuralRejectionTest {

    @Test
    void itSeparatesFgsmExamplesAndASavedDetectorScoresTheSame(@TempDir Path directory)
            throws IOException {
        try (Detector detector = DetectorRegistry.fit(DeepNeuralRejection.NAME,
                TinyDetectionTask.cleanFit(0), Map.of());
                NDManager manager = NDManager.newBaseManager()) {
            Layers layers = Layers.of(TinyDetectionTask.model());
            assertThat(((DeepNeuralRejection) detector).layers()).containsExactlyElementsOf(
                    layers.stageOutputs().subList(layers.stageOutputs().size() - 3,
                            layers.stageOutputs().size()));
            Roc roc = TinyDetectionTask.roc(detector);
            System.out.printf("dnr: FGSM eps=%.2f AUC %.3f, TPR at 5%% FPR %.3f%n",
                    TinyDetectionTask.EPSILON, roc.auc(), roc.truePositiveRateAt(0.05));
            assertThat(roc.auc()).isGreaterThan(0.75);
            for (float score : roc.adversarial()) {
                assertThat(Float.isFinite(score)).isTrue();
            }
            detector.save(directory);
            NDArray x = TinyDetectionTask.testAdversarial().batch(manager, 0, 32).x();
            float[] scores = detector.scores(x).toFloatArray();
            try (Detector loaded = DetectorRegistry.load(DeepNeuralRejection.NAME, directory,
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
    void aModelWithoutReadableLayersOrAWrongLayerIsRefused() {
        try (AffineClassifier affine = AffineClassifier.random(3, new Shape(1, 28, 28), 1f, 0)) {
            assertThatThrownBy(() -> DetectorRegistry.fit(DeepNeuralRejection.NAME,
                    FitData.clean(affine, TinyDetectionTask.fitting(), 0), Map.of()))
                    .hasMessageContaining("whose intermediate layers Parry cannot read");
        }
        assertThatThrownBy(() -> DetectorRegistry.fit(DeepNeuralRejection.NAME,
                TinyDetectionTask.cleanFit(0), Map.of("layers", "9.9")))
                .hasMessageContaining("has no layer '9.9'");
        assertThatThrownBy(() -> DetectorRegistry.fit(DeepNeuralRejection.NAME,
                TinyDetectionTask.cleanFit(0), Map.of("samples", "2")))
                .hasMessageStartingWith("dnr: needs at least 4 clean images");
    }
}
