package org.parry.attack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.parry.loss.CarliniWagnerLoss;
import org.parry.loss.CrossEntropyLoss;
import org.parry.loss.DlrLoss;
import org.parry.loss.TargetedDlrLoss;
import org.parry.norm.RandomNoise;

/** The attack losses of org.parry.loss against hand-computed values (attacks.md §0, §7.5). */
class LossesTest {

    /**
     * One 4-class example used by several tests: z = (2, 5, 1, -1), sorted descending
     * z_π1 = 5, z_π2 = 2, z_π3 = 1, z_π4 = -1.
     */
    private static final float[] Z = {2f, 5f, 1f, -1f};

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** The same logits row once per label. */
    private NDArray rows(float[] z, int count) {
        float[] flat = new float[z.length * count];
        for (int i = 0; i < count; i++) {
            System.arraycopy(z, 0, flat, i * z.length, z.length);
        }
        return manager.create(flat, new Shape(count, z.length));
    }

    @Test
    void dlrByHand() {
        // DLR = -(z_y - max_{j≠y} z_j) / (z_π1 - z_π3); the denominator is 5 - 1 = 4.
        float[] dlr = DlrLoss.get().perSample(rows(Z, 4), manager.create(new int[] {0, 1, 2, 3}))
                .toFloatArray();
        assertThat(dlr[0]).isCloseTo(-(2f - 5f) / 4f, within(1e-6f)); // 0.75
        assertThat(dlr[1]).isCloseTo(-(5f - 2f) / 4f, within(1e-6f)); // -0.75: the top class
        assertThat(dlr[2]).isCloseTo(-(1f - 5f) / 4f, within(1e-6f)); // 1
        assertThat(dlr[3]).isCloseTo(-(-1f - 5f) / 4f, within(1e-6f)); // 1.5
    }

    @Test
    void targetedDlrByHand() {
        // DLR_T = -(z_y - z_t) / (z_π1 - (z_π3 + z_π4) / 2); the denominator is 5 - (1 - 1) / 2 = 5.
        NDArray trueLabels = manager.create(new int[] {0, 1, 3, 2});
        NDArray targets = manager.create(new int[] {2, 3, 1, 0});
        float[] dlr = new TargetedDlrLoss(trueLabels).perSample(rows(Z, 4), targets).toFloatArray();
        assertThat(dlr[0]).isCloseTo(-(2f - 1f) / 5f, within(1e-6f)); // -0.2
        assertThat(dlr[1]).isCloseTo(-(5f - -1f) / 5f, within(1e-6f)); // -1.2
        assertThat(dlr[2]).isCloseTo(-(-1f - 5f) / 5f, within(1e-6f)); // 1.2
        assertThat(dlr[3]).isCloseTo(-(1f - 2f) / 5f, within(1e-6f)); // 0.2
    }

    @Test
    void dlrIsInvariantToPositiveAffineMapsOfTheLogits() {
        NDArray z = RandomNoise.gaussian(manager, new Shape(64, 10), 11).mul(4f);
        NDArray mapped = z.mul(3f).add(7f);
        NDArray labels = manager.arange(0, 64).mod(10);
        NDArray targets = labels.add(3).mod(10);
        assertClose(DlrLoss.get().perSample(mapped, labels), DlrLoss.get().perSample(z, labels), 1e-5f);
        TargetedDlrLoss targeted = new TargetedDlrLoss(labels);
        assertClose(targeted.perSample(mapped, targets), targeted.perSample(z, targets), 1e-5f);
    }

    private static void assertClose(NDArray actual, NDArray expected, float tolerance) {
        float[] a = actual.toFloatArray();
        float[] e = expected.toFloatArray();
        assertThat(a).hasSameSizeAs(e);
        for (int i = 0; i < a.length; i++) {
            assertThat(a[i]).as("sample %d", i).isCloseTo(e[i], within(tolerance));
        }
    }

    @Test
    void dlrNeedsThreeClassesAndTargetedDlrFour() {
        NDArray two = manager.create(new float[] {1f, 2f}, new Shape(1, 2));
        assertThatThrownBy(() -> DlrLoss.get().perSample(two, manager.create(new int[] {0})))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("DLR").hasMessageContaining("at least 3 classes")
                .hasMessageContaining("has 2");
        NDArray three = manager.create(new float[] {1f, 2f, 3f}, new Shape(1, 3));
        NDArray label = manager.create(new int[] {0});
        assertThatThrownBy(() -> new TargetedDlrLoss(label).perSample(three, manager.create(new int[] {1})))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("targeted DLR").hasMessageContaining("at least 4 classes")
                .hasMessageContaining("has 3");
        assertThat(DlrLoss.get().perSample(three, label).toFloatArray()).hasSize(1);
    }

    @Test
    void carliniWagnerMarginWithNegativeLogits() {
        // All logits negative: a margin that masked the label by multiplying with 0 would pick
        // 0 as the best other logit and get every value below wrong.
        float[] z = {-3f, -1f, -7f};
        NDArray logits = rows(z, 3);
        NDArray labels = manager.create(new int[] {0, 1, 2});
        float[] uncapped = new CarliniWagnerLoss(Float.POSITIVE_INFINITY, false)
                .perSample(logits, labels).toFloatArray();
        assertThat(uncapped).containsExactly(-1f - -3f, -3f - -1f, -1f - -7f); // 2, -2, 6
        float[] capped = new CarliniWagnerLoss(0f, false).perSample(logits, labels).toFloatArray();
        assertThat(capped).containsExactly(0f, -2f, 0f);
        float[] kappa = new CarliniWagnerLoss(3f, false).perSample(logits, labels).toFloatArray();
        assertThat(kappa).containsExactly(2f, -2f, 3f);
        // Targeted: z_t - max_{j≠t} z_j.
        float[] targeted = new CarliniWagnerLoss(Float.POSITIVE_INFINITY, true)
                .perSample(logits, labels).toFloatArray();
        assertThat(targeted).containsExactly(-3f - -1f, -1f - -3f, -7f - -1f); // -2, 2, -6
    }

    @Test
    void crossEntropyIsTheLogSumExpFormAndStaysFinite() {
        NDArray logits = manager.create(new float[] {2f, 5f, 1f, -1f, 1000f, 0f, 0f, -1000f},
                new Shape(2, 4));
        float[] ce = CrossEntropyLoss.get().perSample(logits, manager.create(new int[] {0, 3}))
                .toFloatArray();
        double logSumExp = Math.log(Math.exp(2) + Math.exp(5) + Math.exp(1) + Math.exp(-1));
        assertThat(ce[0]).isCloseTo((float) (logSumExp - 2), within(1e-5f));
        assertThat(ce[1]).isCloseTo(2000f, within(1e-2f));
    }
}
