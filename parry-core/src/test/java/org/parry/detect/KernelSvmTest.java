package org.parry.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SVM solves its dual: a two-point problem has the closed-form solution, a noisy problem's
 * solution meets the KKT conditions (which certify the optimum of a convex QP) with the decision
 * values recomputed in float64 Java, separable classes are classified right on held-out points,
 * and a saved model decides the same.
 */
class KernelSvmTest {

    @Test
    void twoPointsHaveTheClosedFormSolution() {
        // x = 0 (+1), x = 1 (−1): by symmetry α₁ = α₂ = α and b = 0, and the dual
        // ½α²(2 − 2k) − 2α with k = exp(−γ) is smallest at α = 1 / (1 − k) (below C here), so
        // f(x) = (exp(−γx²) − exp(−γ(x − 1)²)) / (1 − k) and f(0) = 1 = −f(1).
        double gamma = 0.7;
        double k = Math.exp(-gamma);
        try (NDManager manager = NDManager.newBaseManager();
                KernelSvm svm = KernelSvm.binary(manager.create(new double[] {0, 1},
                        new Shape(2, 1)), new boolean[] {true, false}, 100, gamma)) {
            double[] at = {0, 1, 0.3, -2, 0.5};
            double[] decision = svm.decision(manager.create(at, new Shape(5, 1)))
                    .toDoubleArray();
            for (int i = 0; i < at.length; i++) {
                double expected = (Math.exp(-gamma * at[i] * at[i])
                        - Math.exp(-gamma * (at[i] - 1) * (at[i] - 1))) / (1 - k);
                assertThat(decision[i]).as("f(" + at[i] + ")").isCloseTo(expected, within(1e-9));
            }
            assertThat(svm.coefficients().toDoubleArray())
                    .containsExactly(new double[] {1 / (1 - k), -1 / (1 - k)}, within(1e-9));
        }
    }

    @Test
    void aNoisyProblemsSolutionMeetsTheKktConditions() {
        int n = 80;
        int d = 3;
        double c = 0.5;
        double gamma = 0.4;
        Random random = new Random(3);
        double[] points = new double[n * d];
        boolean[] positive = new boolean[n];
        for (int i = 0; i < n; i++) {
            positive[i] = i % 2 == 0;
            for (int j = 0; j < d; j++) {
                points[i * d + j] = random.nextGaussian() + (positive[i] && j == 0 ? 1 : 0);
            }
        }
        try (NDManager manager = NDManager.newBaseManager();
                KernelSvm svm = KernelSvm.binary(manager.create(points, new Shape(n, d)), positive,
                        c, gamma)) {
            double[] vectors = svm.supportVectors().toDoubleArray();
            double[] coefficients = svm.coefficients().toDoubleArray();
            int supports = coefficients.length;
            double b = svm.bias()[0];
            double[] alpha = new double[n];
            double balance = 0;
            for (int s = 0; s < supports; s++) {
                int i = indexOf(points, vectors, s, d);
                alpha[i] = Math.abs(coefficients[s]);
                assertThat(Math.signum(coefficients[s])).isEqualTo(positive[i] ? 1.0 : -1.0);
                balance += coefficients[s];
            }
            assertThat(balance).as("Σ α_i y_i").isCloseTo(0, within(1e-9));
            double[] decision = svm.decision(manager.create(points, new Shape(n, d)))
                    .toDoubleArray();
            int free = 0;
            int bound = 0;
            for (int i = 0; i < n; i++) {
                double f = b;
                for (int s = 0; s < supports; s++) {
                    double squared = 0;
                    for (int j = 0; j < d; j++) {
                        double diff = points[i * d + j] - vectors[s * d + j];
                        squared += diff * diff;
                    }
                    f += coefficients[s] * Math.exp(-gamma * squared);
                }
                assertThat(decision[i]).as("decision vs float64 Java").isCloseTo(f, within(1e-9));
                double margin = (positive[i] ? 1 : -1) * f;
                // LIBSVM's tolerance 1e-3 bounds every violation.
                assertThat(alpha[i]).isBetween(0.0, c);
                if (alpha[i] == 0) {
                    assertThat(margin).isGreaterThanOrEqualTo(1 - 1e-3);
                } else if (alpha[i] == c) {
                    bound++;
                    assertThat(margin).isLessThanOrEqualTo(1 + 1e-3);
                } else {
                    free++;
                    assertThat(margin).isCloseTo(1, within(1e-3));
                }
            }
            assertThat(bound).as("overlapping classes put some α at C").isPositive();
            assertThat(free).isPositive();
        }
    }

    private static int indexOf(double[] points, double[] vectors, int s, int d) {
        for (int i = 0; i < points.length / d; i++) {
            if (Arrays.equals(points, i * d, (i + 1) * d, vectors, s * d, (s + 1) * d)) {
                return i;
            }
        }
        throw new AssertionError("support vector " + s + " is no training point");
    }

    @Test
    void separableClassesAreClassifiedRightAndASavedModelDecidesTheSame(@TempDir Path directory)
            throws IOException {
        int perClass = 40;
        int classes = 3;
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray train = blobs(manager, perClass, classes, new Random(1));
            NDArray test = blobs(manager, perClass, classes, new Random(2));
            int[] labels = new int[perClass * classes];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = i / perClass;
            }
            try (KernelSvm svm = KernelSvm.oneVsRest(train, labels, classes, 1,
                    KernelSvm.scaleGamma(train))) {
                assertThat(svm.outputs()).isEqualTo(classes);
                for (NDArray points : new NDArray[] {train, test}) {
                    long[] predicted = svm.decision(points).argMax(1).toLongArray();
                    for (int i = 0; i < predicted.length; i++) {
                        assertThat(predicted[i]).isEqualTo(labels[i]);
                    }
                }
                Map<String, NDArray> arrays = new LinkedHashMap<>();
                svm.put(arrays, "svm.");
                DetectorArrays.save(directory, arrays);
                try (KernelSvm loaded = KernelSvm.read(DetectorArrays.load(directory, manager),
                        "svm.", directory)) {
                    assertThat(loaded.decision(test).toFloatArray())
                            .containsExactly(svm.decision(test).toFloatArray());
                }
            }
        }
    }

    /** Three well-separated Gaussian blobs in 5-D, perClass points each, class by class. */
    private static NDArray blobs(NDManager manager, int perClass, int classes, Random random) {
        int d = 5;
        float[] points = new float[perClass * classes * d];
        for (int i = 0; i < perClass * classes; i++) {
            for (int j = 0; j < d; j++) {
                points[i * d + j] = (float) (0.5 * random.nextGaussian()
                        + (j == i / perClass ? 4 : 0));
            }
        }
        return manager.create(points, new Shape(perClass * classes, d));
    }

    @Test
    void nuBoundsTheFractionOfOneClassTrainingOutliersAndAFarPointIsOne() {
        int n = 400;
        double gamma = 0.5;
        Random random = new Random(5);
        double[] points = new double[n * 2];
        for (int i = 0; i < points.length; i++) {
            points[i] = random.nextGaussian();
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(points, new Shape(n, 2));
            for (double nu : new double[] {0.05, 0.2, 0.5}) {
                try (KernelSvm svm = KernelSvm.oneClass(x, nu, gamma)) {
                    double[] decision = svm.decision(x).toDoubleArray();
                    // Free support vectors sit on f = 0 up to the solver's tolerance.
                    long outside = Arrays.stream(decision).filter(f -> f < -1e-3).count();
                    double[] alpha = svm.coefficients().toDoubleArray();
                    long supports = Arrays.stream(alpha).filter(a -> a > 0).count();
                    double fraction = outside / (double) n;
                    System.out.printf("one-class nu=%.2f: %.4f of the training points outside,"
                            + " %.4f support vectors%n", nu, fraction, supports / (double) n);
                    // Schölkopf et al.'s Proposition 4: outliers ≤ ν ≤ support vectors.
                    assertThat(fraction).isLessThanOrEqualTo(nu);
                    assertThat(supports / (double) n).isGreaterThanOrEqualTo(nu);
                    // ... and both approach ν: with 400 smooth points few SVs are free.
                    assertThat(fraction).isGreaterThanOrEqualTo(nu - 0.03);
                    assertThat(supports / (double) n).isLessThanOrEqualTo(nu + 0.05);
                    assertThat(Arrays.stream(alpha).sum()).as("Σ α = ν n")
                            .isCloseTo(nu * n, within(1e-9));
                    double far = svm.decision(manager.create(new double[] {8, 8}, new Shape(1, 2)))
                            .getDouble(0);
                    assertThat(far).as("a point far from the data: f = −ρ")
                            .isCloseTo(svm.bias()[0], within(1e-9)).isNegative();
                }
            }
        }
    }

    @Test
    void aTinyOneClassProblemMatchesABruteForceSolutionOfItsDual() {
        // Four 1-D points, ν = 0.5: Σ α = 2, 0 ≤ α ≤ 1. A 0.005 grid over (α₁, α₂, α₃) with
        // α₄ = 2 − α₁ − α₂ − α₃ brackets the minimum of ½ αᵀKα from above.
        double[] at = {0, 0.4, 1.1, 2.5};
        double gamma = 0.8;
        int n = at.length;
        double[][] k = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                k[i][j] = Math.exp(-gamma * (at[i] - at[j]) * (at[i] - at[j]));
            }
        }
        double best = Double.POSITIVE_INFINITY;
        int steps = 200;
        for (int a = 0; a <= steps; a++) {
            for (int b = 0; b <= steps; b++) {
                for (int c = 0; c <= steps; c++) {
                    double[] alpha = {a / (double) steps, b / (double) steps, c / (double) steps, 0};
                    alpha[3] = 2 - alpha[0] - alpha[1] - alpha[2];
                    if (alpha[3] >= 0 && alpha[3] <= 1) {
                        best = Math.min(best, objective(k, alpha));
                    }
                }
            }
        }
        try (NDManager manager = NDManager.newBaseManager();
                KernelSvm svm = KernelSvm.oneClass(manager.create(at, new Shape(n, 1)), 0.5,
                        gamma)) {
            double[] vectors = svm.supportVectors().toDoubleArray();
            double[] coefficients = svm.coefficients().toDoubleArray();
            double[] alpha = new double[n];
            for (int s = 0; s < vectors.length; s++) {
                int i = indexOf(at, vectors, s, 1);
                alpha[i] = coefficients[s];
            }
            double solved = objective(k, alpha);
            System.out.printf("one-class dual: SMO %.9f, grid %.9f%n", solved, best);
            // The optimum is at most the grid's minimum, which exceeds it by O(step²) (the
            // projected gradient vanishes there); SMO stops at a KKT violation of 1e-3.
            assertThat(solved).isLessThanOrEqualTo(best + 1e-6);
            assertThat(solved).isGreaterThan(best - 1e-3);
            double rho = -svm.bias()[0];
            double[] probe = {-1, 0, 0.4, 0.7, 1.1, 2.5, 4};
            double[] decision = svm.decision(manager.create(probe, new Shape(probe.length, 1)))
                    .toDoubleArray();
            for (int p = 0; p < probe.length; p++) {
                double f = -rho;
                for (int i = 0; i < n; i++) {
                    f += alpha[i] * Math.exp(-gamma * (probe[p] - at[i]) * (probe[p] - at[i]));
                }
                assertThat(decision[p]).as("f(" + probe[p] + ") vs float64 Java")
                        .isCloseTo(f, within(1e-9));
            }
            for (int i = 0; i < n; i++) {
                double f = decision[Arrays.binarySearch(probe, at[i])];
                if (alpha[i] > 0 && alpha[i] < 1) {
                    assertThat(f).as("a free α sits on the boundary").isCloseTo(0, within(1e-3));
                } else {
                    assertThat(alpha[i] == 0 ? f : -f).as("KKT at " + at[i])
                            .isGreaterThanOrEqualTo(-1e-3);
                }
            }
        }
    }

    private static double objective(double[][] k, double[] alpha) {
        double value = 0;
        for (int i = 0; i < alpha.length; i++) {
            for (int j = 0; j < alpha.length; j++) {
                value += 0.5 * alpha[i] * alpha[j] * k[i][j];
            }
        }
        return value;
    }

    @Test
    void badSettingsAreRefused() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(new double[] {0, 1}, new Shape(2, 1));
            assertThatThrownBy(() -> KernelSvm.binary(x, new boolean[] {true, false}, 0, 1))
                    .hasMessage("svm: C must be > 0, got 0.0");
            assertThatThrownBy(() -> KernelSvm.binary(x, new boolean[] {true, false}, 1, -1))
                    .hasMessage("svm: gamma must be > 0, got -1.0");
            assertThatThrownBy(() -> KernelSvm.oneClass(x, 0, 1))
                    .hasMessage("svm: nu must be in (0, 1), got 0.0");
            assertThatThrownBy(() -> KernelSvm.oneClass(x, 1, 1))
                    .hasMessage("svm: nu must be in (0, 1), got 1.0");
            try (KernelSvm one = KernelSvm.binary(x, new boolean[] {true, true}, 1, 1)) {
                assertThat(one.decision(x).toDoubleArray()).as("one class: constant +1")
                        .containsExactly(1, 1);
            }
        }
    }
}
