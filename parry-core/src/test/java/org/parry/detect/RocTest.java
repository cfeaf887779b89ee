package org.parry.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The detection metrics of the survey's protocol against hand-computed values and closed forms. */
class RocTest {

    @Test
    void aucIsTheMannWhitneyStatisticWithTiesCountedOneHalf() {
        // adv 2 beats clean 1, ties clean 2, loses to 3: 1.5; adv 4 beats all three: 3; 4.5 / 6.
        Roc roc = new Roc(new float[] {1, 2, 3}, new float[] {2, 4});
        assertThat(roc.auc()).isCloseTo(0.75, within(1e-12));
        assertThat(new Roc(new float[] {0, 1}, new float[] {2, 3}).auc()).isEqualTo(1.0);
        assertThat(new Roc(new float[] {2, 3}, new float[] {0, 1}).auc()).isEqualTo(0.0);
    }

    @Test
    void aConstantDetectorHasAucOneHalfAndARandomOneAboutOneHalf() {
        assertThat(new Roc(new float[] {7, 7, 7}, new float[] {7, 7}).auc()).isEqualTo(0.5);
        Random random = new Random(1);
        float[] clean = new float[2000];
        float[] adversarial = new float[2000];
        for (int i = 0; i < clean.length; i++) {
            clean[i] = (float) random.nextGaussian();
            adversarial[i] = (float) random.nextGaussian();
        }
        // sd of the AUC under H0: sqrt((n0 + n1 + 1) / (12 n0 n1)) ≈ 0.0091; 4 sd
        assertThat(new Roc(clean, adversarial).auc()).isCloseTo(0.5, within(0.037));
    }

    @Test
    void aThresholdAtFprQFlagsAboutQOfHeldOutCleanScores() {
        Random random = new Random(2);
        float[] fitting = new float[2000];
        for (int i = 0; i < fitting.length; i++) {
            fitting[i] = (float) random.nextGaussian();
        }
        double q = 0.05;
        float threshold = Threshold.atFalsePositiveRate(fitting, q);
        float[] heldOut = new float[20000];
        for (int i = 0; i < heldOut.length; i++) {
            heldOut[i] = (float) random.nextGaussian();
        }
        Roc roc = new Roc(heldOut, new float[] {0});
        assertThat(new Roc(fitting, new float[] {0}).falsePositiveRate(threshold))
                .isLessThanOrEqualTo(q);
        // the threshold's own error dominates: sd ≈ sqrt(q(1-q)/2000) ≈ 0.0049; 3.5 sd
        assertThat(roc.falsePositiveRate(threshold)).isCloseTo(q, within(0.017));
    }

    @Test
    void tprAtFprIsTheShareOfAdversarialScoresAboveTheCleanThreshold() {
        float[] clean = new float[100];
        for (int i = 0; i < clean.length; i++) {
            clean[i] = i; // 0..99: at q = 0.05 the threshold is 94, five clean scores above it
        }
        Roc roc = new Roc(clean, new float[] {50, 94, 94.5f, 120});
        assertThat(roc.falsePositiveRate(Threshold.atFalsePositiveRate(clean, 0.05)))
                .isEqualTo(0.05);
        assertThat(roc.truePositiveRateAt(0.05)).isEqualTo(0.5);
    }

    @Test
    void theCurveRunsFromTheOriginToOneOneAndThinsToTheAskedPoints() {
        Random random = new Random(3);
        float[] clean = new float[500];
        float[] adversarial = new float[500];
        for (int i = 0; i < clean.length; i++) {
            clean[i] = (float) random.nextGaussian();
            adversarial[i] = (float) random.nextGaussian() + 2;
        }
        Roc.Curve curve = new Roc(clean, adversarial).curve(51);
        assertThat(curve.fpr()).hasSize(51);
        assertThat(curve.fpr()[0]).isZero();
        assertThat(curve.tpr()[0]).isZero();
        assertThat(curve.fpr()[50]).isEqualTo(1.0);
        assertThat(curve.tpr()[50]).isEqualTo(1.0);
        for (int k = 1; k < 51; k++) {
            assertThat(curve.fpr()[k]).isGreaterThanOrEqualTo(curve.fpr()[k - 1]);
            assertThat(curve.tpr()[k]).isGreaterThanOrEqualTo(curve.tpr()[k - 1]);
        }
        assertThatThrownBy(() -> new Roc(new float[0], adversarial))
                .hasMessageContaining("needs clean and adversarial scores");
    }
}
