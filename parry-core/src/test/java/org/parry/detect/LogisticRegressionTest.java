package org.parry.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared combiner: recovers a logistic model, stays finite on separable data, saves. */
class LogisticRegressionTest {

    private static final double[] WEIGHTS = {0.8, -1.5, 0.4};
    private static final double BIAS = -0.5;

    /** Rows from z_j ~ N(j, 1 + j) and y ~ Bernoulli(σ(wᵀz + b)). */
    private static double[][] rows(int n, Random random) {
        double[][] z = new double[n][WEIGHTS.length];
        for (double[] row : z) {
            for (int j = 0; j < row.length; j++) {
                row[j] = j + (1 + j) * random.nextGaussian();
            }
        }
        return z;
    }

    private static boolean[] labels(double[][] z, Random random) {
        boolean[] y = new boolean[z.length];
        for (int i = 0; i < z.length; i++) {
            double u = BIAS;
            for (int j = 0; j < WEIGHTS.length; j++) {
                u += WEIGHTS[j] * z[i][j];
            }
            y[i] = random.nextDouble() < 1 / (1 + Math.exp(-u));
        }
        return y;
    }

    @Test
    void recoversTheGeneratingWeightsOfALogisticModel() {
        Random random = new Random(3);
        double[][] z = rows(20_000, random);
        boolean[] y = labels(z, random);
        for (LogisticRegression.Scaling scaling : LogisticRegression.Scaling.values()) {
            // λ small: min-max scaled weights are ~20 times the raw ones, and λ = 1 shrinks them
            // by ~10% at this n (measured: -1.32 for -1.5); the estimate's standard errors are
            // about 0.01-0.02.
            LogisticRegression fit = LogisticRegression.fit(z, y, scaling, 1e-3);
            assertThat(fit.rawWeights()).as(scaling.name())
                    .containsExactly(WEIGHTS, within(0.06));
            assertThat(fit.rawBias()).isCloseTo(BIAS, within(0.06));
        }
    }

    @Test
    void ndArrayLogitsEqualTheDoubleOnesAndSurviveSaving(@TempDir Path dir) throws IOException {
        Random random = new Random(4);
        double[][] z = rows(500, random);
        LogisticRegression fit = LogisticRegression.fit(z, labels(z, random),
                LogisticRegression.Scaling.MIN_MAX, 1.0);
        float[] flat = new float[z.length * 3];
        for (int i = 0; i < z.length; i++) {
            for (int j = 0; j < 3; j++) {
                flat[i * 3 + j] = (float) z[i][j];
            }
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray features = manager.create(flat, new Shape(z.length, 3));
            float[] logits = fit.logits(features).toFloatArray();
            for (int i = 0; i < z.length; i++) {
                double expected = fit.rawBias();
                for (int j = 0; j < 3; j++) {
                    expected += fit.rawWeights()[j] * (float) z[i][j];
                }
                assertThat((double) logits[i]).isCloseTo(expected,
                        within(1e-5 * (1 + Math.abs(expected))));
            }
            DetectorArrays.save(dir, fit.arrays("lr.", manager));
            LogisticRegression loaded = LogisticRegression.load(
                    DetectorArrays.load(dir, manager), "lr.", dir);
            assertThat(loaded.logits(features).toFloatArray()).containsExactly(logits);
            assertThatThrownBy(() -> LogisticRegression.load(DetectorArrays.load(dir, manager),
                    "other.", dir)).hasMessageContaining("has no array 'other.center'");
        }
    }

    @Test
    void separableDataGivesFiniteWeightsThatSeparate() {
        Random random = new Random(5);
        int n = 400;
        double[][] z = new double[n][2];
        boolean[] y = new boolean[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 2 == 0;
            z[i][0] = (y[i] ? 1 : -1) * (0.5 + Math.abs(random.nextGaussian()));
            z[i][1] = random.nextGaussian();
        }
        LogisticRegression fit = LogisticRegression.fit(z, y, LogisticRegression.Scaling.STANDARD,
                1.0);
        double[] w = fit.rawWeights();
        // Unregularized, w_0 would grow without bound; λ = 1 stops it at a moderate value.
        assertThat(w[0]).isPositive().isLessThan(50);
        assertThat(Math.abs(w[1])).isLessThan(Math.abs(w[0]) / 5);
        for (int i = 0; i < n; i++) {
            double u = fit.rawBias() + w[0] * z[i][0] + w[1] * z[i][1];
            assertThat(u > 0).isEqualTo(y[i]);
        }
    }

    @Test
    void badInputGivesOneLineErrors() {
        double[][] z = {{1}, {2}};
        assertThatThrownBy(() -> LogisticRegression.fit(z, new boolean[] {true, true},
                LogisticRegression.Scaling.STANDARD, 1)).hasMessage(
                "a logistic regression needs rows of both classes, got 2 positive of 2");
        assertThatThrownBy(() -> LogisticRegression.fit(z, new boolean[] {true, false},
                LogisticRegression.Scaling.STANDARD, 0)).hasMessageStartingWith(
                "l2 (the regression's λ) must be > 0");
        assertThatThrownBy(() -> LogisticRegression.fit(new double[][] {{1}, {Double.NaN}},
                new boolean[] {true, false}, LogisticRegression.Scaling.STANDARD, 1))
                .hasMessageStartingWith("feature row 1 holds NaN");
    }
}
