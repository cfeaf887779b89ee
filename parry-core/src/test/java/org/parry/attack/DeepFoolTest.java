package org.parry.attack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.parry.criterion.Misclassification;
import org.parry.criterion.TargetedMisclassification;
import org.parry.data.Batch;
import org.parry.norm.Norm;
import org.parry.testing.AffineClassifier;
import org.parry.testing.TestModels;

/**
 * DeepFool against closed forms (attacks.md §4 tests a, b, d): on affine models the
 * linearization is exact, so one iteration lands on the nearest boundary, and the overshoot
 * multiplies that exact step.
 */
class DeepFoolTest {

    private static final Shape SHAPE = new Shape(1, 8, 8);
    private static final int D = 64;
    private static final int N = 100;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private NDArray batch(float[][] data) {
        float[] flat = new float[data.length * D];
        for (int i = 0; i < data.length; i++) {
            System.arraycopy(data[i], 0, flat, i * D, D);
        }
        return manager.create(flat, new Shape(data.length, 1, 8, 8));
    }

    private static float[][] gaussianWeights(int classes, float scale, long seed) {
        Random random = new Random(seed);
        float[][] w = new float[classes][D];
        for (float[] row : w) {
            for (int j = 0; j < D; j++) {
                row[j] = (float) (random.nextGaussian() * scale / Math.sqrt(D));
            }
        }
        return w;
    }

    @Test
    void oneIterationOnABinaryAffineModelIsTheClosedFormStep() {
        // f(x) = w.x + b as z_1 - z_0 with z_0 = 0; b centres f near 0 on the data, so every
        // step stays well inside the box.
        float[] w = gaussianWeights(1, 8f, 1)[0];
        float b = 0;
        for (float wj : w) {
            b -= 0.5f * wj;
        }
        float[][] weights = {new float[D], w};
        float[][] data = AffineClassifier.data(N, SHAPE, 2);
        try (AffineClassifier model = new AffineClassifier(weights, new float[] {0f, b}, SHAPE)) {
            int[] labels = new int[N];
            for (int i = 0; i < N; i++) {
                labels[i] = model.predict(data[i]);
            }
            for (Norm norm : new Norm[] {Norm.L2, Norm.LINF}) {
                AttackResult result = new DeepFool(norm, 50, 0.02f, 10)
                        .run(model, batch(data), new Misclassification(manager.create(labels)));
                assertThat(result.gradients()).as("one iteration, one candidate").isEqualTo(N);
                assertThat(result.successes()).isEqualTo(N);
                double w2 = 0;
                double w1 = 0;
                for (float wj : w) {
                    w2 += wj * wj;
                    w1 += Math.abs(wj);
                }
                float[] adversarial = result.adversarial();
                for (int i = 0; i < N; i++) {
                    double f = model.logits(data[i])[1] - model.logits(data[i])[0];
                    // r = -(f / ||w||²) w (L2) or -(f / ||w||_1) sign(w) (L∞), times 1.02; the
                    // reference's 1e-4 guard adds to |f|.
                    double guarded = f + Math.signum(f) * DeepFool.MIN_GAP;
                    for (int j = 0; j < D; j++) {
                        double r = norm == Norm.L2 ? -guarded / w2 * w[j] : -guarded / w1 * Math.signum(w[j]);
                        float expected = (float) (data[i][j] + 1.02 * r);
                        assertThat(adversarial[i * D + j]).as("%s sample %d pixel %d", norm, i, j)
                                .isCloseTo(expected, within(2e-6f));
                    }
                }
            }
        }
    }

    @Test
    void onAMulticlassAffineModelTheNormIsTheOvershotExactDistance() {
        float[][] weights = gaussianWeights(10, 50f, 3);
        float[][] data = AffineClassifier.data(N, SHAPE, 4);
        try (AffineClassifier model = new AffineClassifier(weights, new float[10], SHAPE)) {
            int[] labels = new int[N];
            for (int i = 0; i < N; i++) {
                labels[i] = model.predict(data[i]);
            }
            for (Norm norm : new Norm[] {Norm.L2, Norm.LINF}) {
                double q = norm == Norm.L2 ? 2 : 1;
                AttackResult result = new DeepFool(norm, 50, 0.02f, 10)
                        .run(model, batch(data), new Misclassification(manager.create(labels)));
                assertThat(result.successes()).isEqualTo(N);
                assertThat(result.gradients()).as("one iteration of 9 candidates").isEqualTo(9L * N);
                float[] measured = norm == Norm.L2 ? result.l2() : result.linf();
                for (int i = 0; i < N; i++) {
                    double exact = model.minimalDistance(data[i], labels[i], q);
                    // The reference's guard adds 1e-4 to the logit gap, i.e. 1e-4 / ||w_y - w_k*||_q
                    // to the distance: an absolute term, visible only for samples very close to
                    // the boundary. Beyond it the norm is 1.02 d* up to float32 rounding.
                    double guard = DeepFool.MIN_GAP / dualNormToNearest(weights, model, data[i], labels[i], q);
                    assertThat((double) measured[i]).as("%s sample %d (d* = %.5f)", norm, i, exact)
                            .isCloseTo(1.02 * exact, within(1e-3 * 1.02 * exact + 1.02 * guard));
                    assertThat((double) measured[i]).as("%s sample %d, guard included", norm, i)
                            .isCloseTo(1.02 * (exact + guard), within(1e-4 * exact + 1e-7));
                }
            }
        }
    }

    /** ||w_y - w_k*||_q for the class k* whose boundary is nearest in the dual norm q. */
    private static double dualNormToNearest(float[][] weights, AffineClassifier model, float[] x,
            int y, double q) {
        double[] z = model.logits(x);
        double best = Double.POSITIVE_INFINITY;
        double bestNorm = Double.NaN;
        for (int k = 0; k < weights.length; k++) {
            if (k == y) {
                continue;
            }
            double norm = 0;
            for (int j = 0; j < D; j++) {
                double w = weights[y][j] - weights[k][j];
                norm += q == 1 ? Math.abs(w) : w * w;
            }
            norm = q == 1 ? norm : Math.sqrt(norm);
            if ((z[y] - z[k]) / norm < best) {
                best = (z[y] - z[k]) / norm;
                bestNorm = norm;
            }
        }
        return bestNorm;
    }

    @Test
    void breaksNearlyEverySampleOfTheSyntheticCnn() {
        try (NDManager local = NDManager.newBaseManager()) {
            Batch batch = TestModels.syntheticTest().batch(local, 0, 20);
            Misclassification criterion = new Misclassification(batch.y());
            for (DeepFool attack : new DeepFool[] {DeepFool.l2(), DeepFool.linf()}) {
                AttackResult result = attack.run(TestModels.syntheticCnn(), batch.x(), criterion);
                assertThat(result.successes()).as("%s successes", attack.norm()).isEqualTo(20);
                for (int i = 0; i < result.size(); i++) {
                    assertThat(result.l2()[i]).isFinite();
                }
            }
        }
    }

    @Test
    void alreadyMisclassifiedSamplesAreReturnedUnchanged() {
        try (NDManager local = NDManager.newBaseManager()) {
            Batch batch = TestModels.syntheticTest().batch(local, 0, 8);
            NDArray wrong = batch.y().add(1).mod(10);
            AttackResult result = DeepFool.l2().run(TestModels.syntheticCnn(), batch.x(),
                    new Misclassification(wrong));
            assertThat(result.adversarial()).containsExactly(batch.x().toFloatArray());
            assertThat(result.gradients()).isZero();
        }
    }

    @Test
    void configurationAndMisuseErrors() {
        assertThatThrownBy(() -> new DeepFool(Norm.L1, 50, 0.02f, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("l2 and linf");
        assertThatThrownBy(() -> new DeepFool(Norm.L2, 0, 0.02f, 10)).hasMessageContaining("steps");
        assertThatThrownBy(() -> new DeepFool(Norm.L2, 50, -1f, 10)).hasMessageContaining("overshoot");
        assertThatThrownBy(() -> new DeepFool(Norm.L2, 50, 0.02f, 1)).hasMessageContaining("candidates");
        Batch batch = TestModels.syntheticTest().batch(manager, 0, 2);
        assertThatThrownBy(() -> DeepFool.l2().run(TestModels.syntheticCnn(), batch.x(),
                new TargetedMisclassification(batch.y(), batch.y())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("untargeted");
    }

    @Test
    void registryReadsTheSettings() {
        Attack attack = AttackRegistry.create("deepfool", new AttackOptions(Norm.LINF, null, 20, 0,
                Map.of("overshoot", "0.05", "candidates", "4")));
        assertThat(attack).isEqualTo(new DeepFool(Norm.LINF, 20, 0.05f, 4));
        assertThat(attack.settings()).containsEntry("overshoot", 0.05f).containsEntry("steps", 20)
                .containsKeys("norm", "candidates");
    }
}
