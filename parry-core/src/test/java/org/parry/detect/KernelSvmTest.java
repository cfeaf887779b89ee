package org.parry.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
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
            if (java.util.Arrays.equals(points, i * d, (i + 1) * d, vectors, s * d, (s + 1) * d)) {
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
    void badSettingsAreRefused() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(new double[] {0, 1}, new Shape(2, 1));
            assertThatThrownBy(() -> KernelSvm.binary(x, new boolean[] {true, false}, 0, 1))
                    .hasMessage("svm: C must be > 0, got 0.0");
            assertThatThrownBy(() -> KernelSvm.binary(x, new boolean[] {true, false}, 1, -1))
                    .hasMessage("svm: gamma must be > 0, got -1.0");
            try (KernelSvm one = KernelSvm.binary(x, new boolean[] {true, true}, 1, 1)) {
                assertThat(one.decision(x).toDoubleArray()).as("one class: constant +1")
                        .containsExactly(1, 1);
            }
        }
    }
}
