package org.parry.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.defense.purify.Autoencoder;
import org.parry.engine.Backward;
import org.parry.defense.purify.ProbabilityDivergence;
import org.parry.defense.purify.ReconstructionError;

/**
 * MagNet as one detector: the identity autoencoder scores 0, the score is the largest ratio of a
 * detector's score to its threshold (checked in float64), a MagNet trained on the tiny task tells
 * FGSM examples from clean images, and a saved detector, with its divergence detectors, comes
 * back with the same scores, as does a fit that reuses the saved MagNet with dir=PATH.
 */
class MagNetDetectionTest {

    private static final Map<String, String> SMALL = Map.of("epochs", "2", "batchSize", "32",
            "learningRate", "0.01", "dropRate", "0.02", "validation", "0.2");
    private static Detector fitted;

    @BeforeAll
    static void fit() {
        fitted = DetectorRegistry.fit(MagNetDetection.NAME, TinyDetectionTask.cleanFit(1), SMALL);
    }

    @AfterAll
    static void close() {
        if (fitted != null) {
            fitted.close();
        }
    }

    @Test
    void theIdentityAutoencoderScoresZero() {
        Autoencoder identity = u -> u;
        MagNetDetection detector = MagNetDetection.of(List.of(
                new ReconstructionError("error-I", identity, 2f),
                new ReconstructionError("error-II", identity, 1f),
                new ProbabilityDivergence("jsd-T10", identity, TinyDetectionTask.model(), 10f)),
                new float[] {0f, 0f, 0.01f});
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = TinyDetectionTask.testAdversarial().batch(manager, 0, 64).x();
            for (float score : detector.scores(x).toFloatArray()) {
                // The divergence of identical logits is rounding only (below 1e-7, MagNetTest).
                assertThat(score).isBetween(0f, 1e-5f);
            }
        }
    }

    @Test
    void theScoreIsTheLargestRatioOfAScoreToItsThreshold() {
        Autoencoder black = u -> u.zerosLike();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = TinyDetectionTask.test().batch(manager, 0, 40).x();
            float[] pixels = x.toFloatArray();
            int n = 40;
            int d = pixels.length / n;
            double[] squares = new double[n];
            double[] absolutes = new double[n];
            for (int i = 0; i < n; i++) {
                for (int j = i * d; j < (i + 1) * d; j++) {
                    squares[i] += (double) pixels[j] * pixels[j] / d;
                    absolutes[i] += Math.abs(pixels[j]) / d;
                }
            }
            // Thresholds at the rows' means, so that each detector has the larger ratio on some.
            float[] thresholds = {(float) java.util.Arrays.stream(squares).average().orElseThrow(),
                    (float) java.util.Arrays.stream(absolutes).average().orElseThrow()};
            MagNetDetection detector = MagNetDetection.of(List.of(
                    new ReconstructionError("e2", black, 2f),
                    new ReconstructionError("e1", black, 1f)), thresholds);
            float[] scores = detector.scores(x).toFloatArray();
            int fromSquares = 0;
            for (int i = 0; i < n; i++) {
                double first = squares[i] / thresholds[0];
                double second = absolutes[i] / thresholds[1];
                fromSquares += first > second ? 1 : 0;
                assertThat((double) scores[i]).isCloseTo(Math.max(first, second),
                        org.assertj.core.data.Offset.offset(1e-5 * Math.max(first, second)));
            }
            assertThat(fromSquares).as("both detectors decide some rows").isBetween(1, n - 1);
        }
    }

    @Test
    void aTrainedMagNetScoresFgsmExamplesAboveCleanImages() {
        Roc roc = TinyDetectionTask.roc(fitted);
        System.out.printf("magnet: FGSM eps=%.2f AUC %.3f, TPR at 5%% FPR %.3f%n",
                TinyDetectionTask.EPSILON, roc.auc(), roc.truePositiveRateAt(0.05));
        assertThat(roc.auc()).isGreaterThan(0.75);
        for (float score : roc.clean()) {
            assertThat(Float.isFinite(score)).isTrue();
        }
        assertThat(fitted.settings()).containsEntry("epochs", 2).containsEntry("validation", 0.2f);
    }

    @Test
    void aSavedDetectorAndAFitOnItsMagNetGiveTheSameScores(@TempDir Path directory)
            throws IOException {
        Map<String, String> withDivergence = new java.util.HashMap<>(SMALL);
        withDivergence.put("temperatures", "10,40");
        Path saved = directory.resolve("with-jsd");
        Path plain = directory.resolve("plain");
        java.nio.file.Files.createDirectories(saved);
        java.nio.file.Files.createDirectories(plain);
        fitted.save(plain);
        try (Detector guarded = DetectorRegistry.fit(MagNetDetection.NAME,
                        TinyDetectionTask.cleanFit(1), withDivergence);
                NDManager manager = NDManager.newBaseManager()) {
            guarded.save(saved);
            assertThat(((MagNetDetection) guarded).detectors()).hasSize(4);
            NDArray x = TinyDetectionTask.testAdversarial().batch(manager, 0, 48).x();
            try (Detector loaded = DetectorRegistry.load(MagNetDetection.NAME, saved,
                    TinyDetectionTask.model(), guarded.settings())) {
                assertThat(((MagNetDetection) loaded).thresholds())
                        .containsExactly(((MagNetDetection) guarded).thresholds());
                assertThat(loaded.scores(x).toFloatArray())
                        .containsExactly(guarded.scores(x).toFloatArray());
            }
            assertThat(guarded.differentiable()).isFalse();
            assertThat(fitted.differentiable()).isTrue();
            float[] scores = guarded.scores(x).toFloatArray();
            NDArray leaf = x.duplicate();
            leaf.setRequiresGradient(true);
            try (GradientCollector collector = Backward.collector()) {
                NDArray forGradient = guarded.scoresForGradient(leaf);
                assertThat(forGradient.toFloatArray()).containsExactly(scores);
                Backward.run(collector, forGradient.sum());
            }
            assertThat(leaf.getGradient().isNaN().any().getBoolean()).isFalse();
            assertThat(leaf.getGradient().abs().sum().getFloat()).isGreaterThan(0f);
            try (Detector reused = DetectorRegistry.fit(MagNetDetection.NAME,
                    TinyDetectionTask.cleanFit(5), Map.of("dir", plain.toString()))) {
                assertThat(reused.scores(x).toFloatArray())
                        .containsExactly(fitted.scores(x).toFloatArray());
                assertThat(reused.settings()).containsEntry("dir", plain.toString())
                        .containsEntry("epochs", 2);
            }
        }
    }

    @Test
    void badSettingsSayWhatToChange(@TempDir Path directory) {
        FitData data = TinyDetectionTask.cleanFit(0);
        assertThatThrownBy(() -> DetectorRegistry.fit(MagNetDetection.NAME, data,
                Map.of("validation", "1.5"))).hasMessageStartingWith(
                        "magnet: validation must be in (0, 1)");
        assertThatThrownBy(() -> DetectorRegistry.fit(MagNetDetection.NAME, data,
                Map.of("temperatures", "ten"))).hasMessageStartingWith(
                        "magnet: temperatures=ten is not a list of numbers");
        assertThatThrownBy(() -> DetectorRegistry.fit(MagNetDetection.NAME, data,
                Map.of("dir", directory.resolve("nowhere").toString())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no MagNet here");
        assertThatThrownBy(() -> MagNetDetection.of(List.of(), new float[0]))
                .hasMessage("magnet: need one threshold per detector, got 0 for 0");
        Autoencoder identity = u -> u;
        assertThatThrownBy(() -> MagNetDetection.of(List.of(new ReconstructionError("e", identity,
                2f)), new float[] {1f}).save(directory)).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("magnet: a detector built from MagNet detectors alone has"
                        + " no MagNet to save");
    }
}
