package org.parry.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.util.Pair;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.data.ImageDataset;
import org.parry.engine.Backward;
import org.parry.model.BlockClassifier;
import org.parry.model.Normalization;
import org.parry.testing.TestModels;

/**
 * The Mahalanobis detector: on Gaussian classes seen through a model whose hidden layer is its
 * input, its score is the Mahalanobis distance a float64 computation gives, with and without the
 * input pre-processing; then the tiny FGSM task.
 */
class MahalanobisTest {

    private static final int D = 4;
    private static final int K = 3;

    /**
     * Inputs (D, 1, 1) → flatten → Linear(D) with W = I, b = 0 (the hidden layer: the input
     * itself) → Linear(K).
     */
    private static BlockClassifier identityFeatures() {
        SequentialBlock block = new SequentialBlock().add(Normalization.identity(D).asBlock())
                .add(new SequentialBlock().add(Blocks.batchFlattenBlock())
                        .add(Linear.builder().setUnits(D).build())
                        .add(Linear.builder().setUnits(K).build()));
        NDManager manager = NDManager.newBaseManager();
        block.initialize(manager, DataType.FLOAT32, new Shape(1, D, 1, 1));
        Pair<String, Parameter> weight = block.getParameters().get(0);
        Pair<String, Parameter> bias = block.getParameters().get(1);
        assertThat(weight.getValue().getArray().getShape()).isEqualTo(new Shape(D, D));
        weight.getValue().getArray().set(manager.eye(D).toFloatArray());
        bias.getValue().getArray().set(new float[D]);
        return new BlockClassifier("identity-features", block, new Shape(D, 1, 1), K, manager);
    }

    /** n points of K Gaussian classes with a shared correlated covariance, in 8-bit pixels. */
    private static ImageDataset gaussians(int n, long seed) {
        Random random = new Random(seed);
        double[][] mix = {{0.08, 0, 0, 0}, {0.04, 0.06, 0, 0}, {0, 0.02, 0.05, 0},
            {0.01, 0, 0.03, 0.07}};
        byte[] pixels = new byte[n * D];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % K;
            double[] g = {random.nextGaussian(), random.nextGaussian(), random.nextGaussian(),
                random.nextGaussian()};
            for (int j = 0; j < D; j++) {
                double v = 0.35 + 0.15 * ((labels[i] + j) % K);
                for (int a = 0; a < D; a++) {
                    v += mix[j][a] * g[a];
                }
                pixels[i * D + j] = (byte) Math.round(Math.min(1, Math.max(0, v)) * 255);
            }
        }
        return new ImageDataset("gaussians", D, 1, 1, pixels, labels, List.of("a", "b", "c"));
    }

    /** min_c (x − μ_c)ᵀ Σ⁻¹ (x − μ_c) in float64, μ and Σ estimated from {@code fit}. */
    private static double[] analytic(ImageDataset fit, ImageDataset test, double eta) {
        double[][] mean = new double[K][D];
        int[] counts = new int[K];
        for (int i = 0; i < fit.size(); i++) {
            float[] x = fit.image(i);
            counts[fit.label(i)]++;
            for (int j = 0; j < D; j++) {
                mean[fit.label(i)][j] += x[j];
            }
        }
        for (int c = 0; c < K; c++) {
            for (int j = 0; j < D; j++) {
                mean[c][j] /= counts[c];
            }
        }
        double[][] sigma = new double[D][D];
        for (int i = 0; i < fit.size(); i++) {
            float[] x = fit.image(i);
            double[] mu = mean[fit.label(i)];
            for (int a = 0; a < D; a++) {
                for (int b = 0; b < D; b++) {
                    sigma[a][b] += (x[a] - mu[a]) * (x[b] - mu[b]) / fit.size();
                }
            }
        }
        double[][] precision = inverse(sigma);
        double[] result = new double[test.size()];
        for (int i = 0; i < test.size(); i++) {
            double[] x = new double[D];
            float[] pixels = test.image(i);
            for (int j = 0; j < D; j++) {
                x[j] = pixels[j];
            }
            if (eta > 0) { // x̂ = clip(x − η sign(2 P (x − μ_ĉ)))
                double[] mu = mean[closest(x, mean, precision)];
                double[] gradient = times(precision, minus(x, mu));
                for (int j = 0; j < D; j++) {
                    x[j] = Math.min(1, Math.max(0, x[j] - eta * Math.signum(gradient[j])));
                }
            }
            result[i] = distance(x, mean[closest(x, mean, precision)], precision);
        }
        return result;
    }

    private static int closest(double[] x, double[][] mean, double[][] precision) {
        int best = 0;
        for (int c = 1; c < K; c++) {
            if (distance(x, mean[c], precision) < distance(x, mean[best], precision)) {
                best = c;
            }
        }
        return best;
    }

    private static double distance(double[] x, double[] mu, double[][] precision) {
        double[] diff = minus(x, mu);
        double[] p = times(precision, diff);
        double sum = 0;
        for (int j = 0; j < D; j++) {
            sum += diff[j] * p[j];
        }
        return sum;
    }

    private static double[] minus(double[] a, double[] b) {
        double[] r = new double[a.length];
        for (int j = 0; j < a.length; j++) {
            r[j] = a[j] - b[j];
        }
        return r;
    }

    private static double[] times(double[][] m, double[] v) {
        double[] r = new double[v.length];
        for (int a = 0; a < v.length; a++) {
            for (int b = 0; b < v.length; b++) {
                r[a] += m[a][b] * v[b];
            }
        }
        return r;
    }

    /** Gauss-Jordan with partial pivoting. */
    private static double[][] inverse(double[][] m) {
        int n = m.length;
        double[][] a = new double[n][2 * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(m[i], 0, a[i], 0, n);
            a[i][n + i] = 1;
        }
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int r = col + 1; r < n; r++) {
                if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) {
                    pivot = r;
                }
            }
            double[] t = a[col];
            a[col] = a[pivot];
            a[pivot] = t;
            double p = a[col][col];
            for (int j = 0; j < 2 * n; j++) {
                a[col][j] /= p;
            }
            for (int r = 0; r < n; r++) {
                if (r != col) {
                    double f = a[r][col];
                    for (int j = 0; j < 2 * n; j++) {
                        a[r][j] -= f * a[col][j];
                    }
                }
            }
        }
        double[][] inv = new double[n][n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(a[i], n, inv[i], 0, n);
        }
        return inv;
    }

    @Test
    void theScoreIsTheAnalyticMahalanobisDistanceWithAndWithoutPreprocessing() {
        ImageDataset fit = gaussians(600, 1);
        ImageDataset test = gaussians(60, 2);
        try (BlockClassifier model = identityFeatures();
                NDManager manager = NDManager.newBaseManager()) {
            NDArray x = test.batch(manager, 0, test.size()).x();
            for (String eta : List.of("0", "0.01")) {
                try (Detector detector = DetectorRegistry.fit("mahalanobis",
                        FitData.clean(model, fit, 1), Map.of("eta", eta))) {
                    assertThat(detector.settings()).containsEntry("layers", "1.1");
                    float[] scores = detector.scores(x).toFloatArray();
                    double[] expected = analytic(fit, test, Double.parseDouble(eta));
                    for (int i = 0; i < scores.length; i++) {
                        // float32 features and matrix products against float64: ~1e-6 relative
                        assertThat((double) scores[i]).as("eta " + eta + ", input " + i)
                                .isCloseTo(expected[i], org.assertj.core.api.Assertions.within(
                                        1e-4 * (1 + expected[i])));
                    }
                }
            }
            // η = 0 is no pre-processing: the eta-0.01 step lowers the distance it descends
            double[] plain = analytic(fit, test, 0);
            double[] stepped = analytic(fit, test, 0.01);
            int lower = 0;
            for (int i = 0; i < plain.length; i++) {
                lower += stepped[i] < plain[i] ? 1 : 0;
            }
            assertThat(lower).isGreaterThan(plain.length * 9 / 10);
        }
    }

    @Test
    void separatesFgsmFromCleanImagesSupervisedOrNotAndSurvivesSaving(@TempDir Path dir)
            throws Exception {
        BlockClassifier model = TestModels.syntheticCnn();
        FitData data = DetectionFixture.fitData(model, 5);
        for (FitData fitting : List.of(data, FitData.clean(model, data.clean(), 5))) {
            try (Mahalanobis detector = (Mahalanobis) DetectorRegistry.fit("mahalanobis", fitting,
                    Map.of("eta", "0.002")); NDManager manager = NDManager.newBaseManager()) {
                Roc roc = DetectionFixture.roc(detector, model);
                System.out.printf("mahalanobis (%s): FGSM(0.3) AUC %.3f, TPR at 5%% FPR %.3f%n",
                        detector.supervised() ? "logistic regression" : "last layer", roc.auc(),
                        roc.truePositiveRateAt(0.05));
                assertThat(roc.auc()).isGreaterThan(0.8);
                NDArray x = DetectionFixture.heldOut().batch(manager, 0, 20).x();
                float[] scores = detector.scores(x).toFloatArray();
                for (float s : scores) {
                    assertThat(s).isFinite();
                }
                Path saved = dir.resolve(detector.supervised() ? "supervised" : "unsupervised");
                java.nio.file.Files.createDirectories(saved);
                try (Detector loaded = DetectionFixture.reloaded(detector, model, saved)) {
                    assertThat(loaded.scores(x).toFloatArray()).containsExactly(scores);
                }
                // inside a caller's collector: the same values, and a gradient
                NDArray leaf = x.duplicate();
                leaf.setRequiresGradient(true);
                float[] differentiable;
                try (GradientCollector collector = Backward.collector()) {
                    NDArray s = detector.scoresForGradient(leaf);
                    differentiable = s.stopGradient().toFloatArray();
                    Backward.run(collector, s.sum());
                }
                for (int i = 0; i < scores.length; i++) {
                    assertThat(differentiable[i]).isCloseTo(scores[i],
                            org.assertj.core.api.Assertions.within(1e-4f * (1 + Math.abs(scores[i]))));
                }
                for (float g : leaf.getGradient().toFloatArray()) {
                    assertThat(g).isFinite();
                }
                assertThat(leaf.getGradient().abs().sum().getFloat()).isPositive();
            }
        }
    }

    @Test
    void badSettingsGiveOneLineErrors() {
        BlockClassifier model = TestModels.syntheticCnn();
        FitData data = FitData.clean(model, DetectionFixture.heldOut(), 1);
        assertThatThrownBy(() -> DetectorRegistry.fit("mahalanobis", data,
                Map.of("shrinkage", "2"))).hasMessage("shrinkage must be in [0, 1], got 2.0");
        assertThatThrownBy(() -> DetectorRegistry.fit("mahalanobis", data,
                Map.of("eta", "-1"))).hasMessage("eta must be >= 0, got -1.0");
        assertThatThrownBy(() -> DetectorRegistry.fit("mahalanobis", data,
                Map.of("etta", "0.1"))).hasMessageStartingWith(
                "detector 'mahalanobis' has no setting [etta]; its settings are [layers, eta,");
        assertThatThrownBy(() -> DetectorRegistry.fit("mahalanobis", FitData.clean(model,
                DetectionFixture.heldOut().first(5), 1), Map.of())).hasMessageMatching("mahalanobis"
                + " needs clean images of every class to fit its class means; class \\d has none"
                + " among the 5");
    }
}
