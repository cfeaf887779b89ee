package org.parry.attack;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.parry.criterion.Misclassification;
import org.parry.criterion.TargetedMisclassification;
import org.parry.loss.AttackLoss;
import org.parry.norm.Norm;
import org.parry.testing.AffineClassifier;

/**
 * Exact answers on a hand-built affine classifier (attacks.md §15): data in [0.3, 0.7] so the box
 * never binds, labels = the model's own predictions so every sample starts correct.
 */
class AffineClosedFormTest {

    private static final Shape SHAPE = new Shape(1, 8, 8);
    private static final int N = 200;

    private static AffineClassifier model;
    private static float[][] data;
    private static int[] labels;
    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        model = AffineClassifier.random(4, SHAPE, 4f, 3);
        data = AffineClassifier.data(N, SHAPE, 4);
        labels = new int[N];
        for (int i = 0; i < N; i++) {
            labels[i] = model.predict(data[i]);
        }
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
        model.close();
    }

    private static NDArray batch() {
        float[] flat = new float[N * 64];
        for (int i = 0; i < N; i++) {
            System.arraycopy(data[i], 0, flat, i * 64, 64);
        }
        return manager.create(flat, new Shape(N, 1, 8, 8));
    }

    /** ε at the median exact distance, so about half the samples are robust. */
    private static float medianDistance(double q) {
        double[] distances = new double[N];
        for (int i = 0; i < N; i++) {
            distances[i] = model.minimalDistance(data[i], labels[i], q);
        }
        java.util.Arrays.sort(distances);
        return (float) distances[N / 2];
    }

    @Test
    void fgsmIsTheVertexOfTheLinfBall() {
        float epsilon = 0.05f;
        AttackResult result = Fgsm.of(epsilon).run(model, batch(),
                new Misclassification(manager.create(labels)));
        float[] adversarial = result.adversarial();
        int compared = 0;
        for (int i = 0; i < N; i++) {
            double[] gradient = model.crossEntropyGradient(data[i], labels[i]);
            for (int j = 0; j < 64; j++) {
                if (Math.abs(gradient[j]) < 1e-6) {
                    continue; // float32 and float64 may disagree on the sign of a ~0 entry
                }
                float expected = data[i][j] + epsilon * (float) Math.signum(gradient[j]);
                assertThat(adversarial[i * 64 + j]).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-6f));
                compared++;
            }
        }
        assertThat(compared).isGreaterThan(N * 60);
    }

    @Test
    void targetedMarginPgdFindsExactlyTheNonRobustSamples() {
        for (Norm norm : new Norm[] {Norm.LINF, Norm.L2}) {
            double q = norm == Norm.LINF ? 1 : 2;
            float epsilon = medianDistance(q);
            boolean[] broken = new boolean[N];
            for (int k = 0; k < 4; k++) {
                int[] targets = new int[N];
                java.util.Arrays.fill(targets, k);
                Pgd pgd = Pgd.builder(norm, epsilon).optSteps(50).optLoss(AttackLoss.CW)
                        .optConfidence(Float.POSITIVE_INFINITY).optRandomStart(false).build();
                AttackResult result = pgd.run(model, batch(), new TargetedMisclassification(
                        manager.create(targets), manager.create(labels)));
                for (int i = 0; i < N; i++) {
                    broken[i] |= k != labels[i] && result.success()[i];
                }
            }
            assertAgreesWithExact(norm, epsilon, broken, 1.0);
        }
    }

    @Test
    void untargetedPgdAgreesWithTheExactRobustSet() {
        for (Norm norm : new Norm[] {Norm.LINF, Norm.L2}) {
            float epsilon = medianDistance(norm == Norm.LINF ? 1 : 2);
            for (AttackLoss loss : new AttackLoss[] {AttackLoss.CE, AttackLoss.CW}) {
                AttackResult result = Pgd.builder(norm, epsilon).optSteps(100).optLoss(loss)
                        .optConfidence(Float.POSITIVE_INFINITY).optRestarts(2).optSeed(5).build()
                        .run(model, batch(), new Misclassification(manager.create(labels)));
                assertAgreesWithExact(norm, epsilon, result.success(), 0.98);
            }
        }
    }

    /** Soundness always (nothing provably robust is broken); completeness at the given rate. */
    private static void assertAgreesWithExact(Norm norm, float epsilon, boolean[] broken,
            double required) {
        double q = norm == Norm.LINF ? 1 : 2;
        int decided = 0;
        int agreed = 0;
        for (int i = 0; i < N; i++) {
            double distance = model.minimalDistance(data[i], labels[i], q);
            if (Math.abs(distance - epsilon) < 1e-3 * epsilon) {
                continue; // on the boundary up to float32 rounding
            }
            boolean robust = distance > epsilon;
            assertThat(robust && broken[i]).as("%s sample %d is provably robust (distance %.5f > eps %.5f) but was broken",
                    norm, i, distance, epsilon).isFalse();
            decided++;
            agreed += robust != broken[i] ? 1 : 0;
        }
        assertThat((double) agreed / decided).as("%s agreement with the exact robust set", norm)
                .isGreaterThanOrEqualTo(required);
    }

    @Test
    void bimEndsAtTheFgsmVertexWhenTheGradientSignIsConstant() {
        AffineClassifier binary = AffineClassifier.random(2, SHAPE, 4f, 9);
        int[] own = new int[N];
        for (int i = 0; i < N; i++) {
            own[i] = binary.predict(data[i]);
        }
        float epsilon = 0.02f;
        // steps * stepSize >= epsilon, and epsilon below every sample's distance: nothing flips,
        // so every step moves along the same sign and BIM stops at FGSM's vertex.
        NDArray x = batch();
        Misclassification criterion = new Misclassification(manager.create(own));
        float[] bim = new Bim(epsilon, epsilon / 3f, 5).run(binary, x, criterion).adversarial();
        float[] fgsm = Fgsm.of(epsilon).run(binary, x, criterion).adversarial();
        int unbroken = 0;
        for (int i = 0; i < N; i++) {
            if (binary.minimalDistance(data[i], own[i], 1) > 2 * epsilon) {
                unbroken++;
                for (int j = 0; j < 64; j++) {
                    assertThat(bim[i * 64 + j]).isCloseTo(fgsm[i * 64 + j], org.assertj.core.data.Offset.offset(1e-5f));
                }
            }
        }
        assertThat(unbroken).isGreaterThan(N / 4);
        binary.close();
    }

    @Test
    void randFgsmWithoutItsRandomStepIsFgsm() {
        NDArray x = batch();
        Misclassification criterion = new Misclassification(manager.create(labels));
        assertThat(new RandFgsm(0.05f, 0f, 1).run(model, x, criterion).adversarial())
                .containsExactly(Fgsm.of(0.05f).run(model, x, criterion).adversarial());
    }

    @Test
    void hypocriticalPerturbationFixesExactlyTheFixableMistakes() {
        AffineClassifier binary = AffineClassifier.random(2, SHAPE, 4f, 11);
        int[] wrong = new int[N];
        for (int i = 0; i < N; i++) {
            wrong[i] = 1 - binary.predict(data[i]); // every sample misclassified
        }
        float epsilon = 0.03f;
        AttackResult result = new Hypocritical(Norm.LINF, epsilon, epsilon / 4f, 40, 1, 0)
                .run(binary, batch(), new Misclassification(manager.create(wrong)));
        int decided = 0;
        for (int i = 0; i < N; i++) {
            // The wrong label's distance is negative: -(margin) / ||w_1 - w_0||_1 is how far the
            // boundary is, and the mistake is fixable iff that is below epsilon.
            double distanceToBoundary = -binary.minimalDistance(data[i], wrong[i], 1);
            if (Math.abs(distanceToBoundary - epsilon) < 1e-3) {
                continue;
            }
            decided++;
            assertThat(result.success()[i]).as("sample %d at distance %.4f", i, distanceToBoundary)
                    .isEqualTo(distanceToBoundary < epsilon);
        }
        assertThat(decided).isGreaterThan(N * 9 / 10);
        binary.close();
    }
}
