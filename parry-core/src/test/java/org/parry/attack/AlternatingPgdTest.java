package org.parry.attack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.loss.AttackLoss;
import org.parry.norm.Norm;
import org.parry.testing.AffineClassifier;
import org.parry.testing.TestModels;

/** PGD with alternating objectives (attacks.md §8): the block schedule, feasibility, exactness. */
class AlternatingPgdTest {

    private static final AttackLoss CE = AttackLoss.CE;
    private static final AttackLoss CW = AttackLoss.CW;
    private static final AttackLoss DLR = AttackLoss.DLR;

    @Test
    void theDefaultScheduleIsCeCwDlrInBlocksEndingAt33And66And100() {
        AlternatingPgd attack = AlternatingPgd.of(0.1f);
        assertThat(attack.blockEnds()).containsExactly(33, 66, 100);
        List<AttackLoss> table = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            table.add(attack.lossAt(i));
        }
        for (int i = 0; i < 100; i++) {
            AttackLoss expected = i < 33 ? CE : i < 66 ? CW : DLR;
            assertThat(table.get(i)).as("step %d", i).isEqualTo(expected);
        }
        assertThat(attack.stepSize()).isEqualTo(0.025f);
        assertThat(attack.steps()).isEqualTo(100);
        assertThat(attack.restarts()).isEqualTo(1);
    }

    @Test
    void otherSchedulesSplitTheStepsEvenly() {
        AlternatingPgd two = new AlternatingPgd(0.1f, 0.025f, 100, 1, List.of(CE, DLR), 0);
        assertThat(two.blockEnds()).containsExactly(50, 100);
        assertThat(two.lossAt(49)).isEqualTo(CE);
        assertThat(two.lossAt(50)).isEqualTo(DLR);
        AlternatingPgd uneven = new AlternatingPgd(0.1f, 0.025f, 7, 1, List.of(DLR, CW, CE), 0);
        assertThat(uneven.blockEnds()).containsExactly(2, 4, 7);
        AttackLoss[] table = new AttackLoss[7];
        for (int i = 0; i < 7; i++) {
            table[i] = uneven.lossAt(i);
        }
        assertThat(table).containsExactly(DLR, DLR, CW, CW, CE, CE, CE);
        AlternatingPgd single = new AlternatingPgd(0.1f, 0.025f, 3, 1, List.of(CW), 0);
        assertThat(single.lossAt(0)).isEqualTo(CW);
        assertThat(single.lossAt(2)).isEqualTo(CW);
        assertThatThrownBy(() -> single.lossAt(3)).hasMessageContaining("step");
    }

    @Test
    void schedulesParseAndBadOnesAreRejected() {
        assertThat(AlternatingPgd.parseLosses("ce,dlr,cw")).containsExactly(CE, DLR, CW);
        assertThat(AlternatingPgd.parseLosses(" CE , cw")).containsExactly(CE, CW);
        assertThatThrownBy(() -> AlternatingPgd.parseLosses("ce,,cw")).hasMessageContaining("empty");
        assertThatThrownBy(() -> AlternatingPgd.parseLosses("ce,mse")).hasMessageContaining("unknown loss 'mse'");
        assertThatThrownBy(() -> new AlternatingPgd(0.1f, 0.025f, 2, 1, List.of(CE, CW, DLR), 0))
                .hasMessageContaining("losses").hasMessageContaining("steps=2");
        assertThatThrownBy(() -> new AlternatingPgd(0.1f, 0.025f, 10, 1, List.of(), 0))
                .hasMessageContaining("at least one loss");
    }

    @Test
    void registryReadsTheSettings() {
        Attack attack = AttackRegistry.create("alt-pgd", new AttackOptions(Norm.LINF, 0.2f, 60, 5,
                Map.of("losses", "cw,ce", "restarts", "2")));
        assertThat(attack).isEqualTo(new AlternatingPgd(0.2f, 0.05f, 60, 2, List.of(CW, CE), 5));
        assertThat(attack.settings()).containsEntry("losses", "cw,ce").containsEntry("norm", "linf")
                .containsKeys("epsilon", "stepSize", "steps", "restarts", "seed");
        assertThatThrownBy(() -> AttackRegistry.create("alt-pgd",
                new AttackOptions(Norm.L2, 0.2f, null, 0, Map.of())))
                .hasMessageContaining("linf attack");
    }

    @Test
    void resultsAreFeasible() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = TestModels.syntheticTest().batch(manager, 0, 16);
            float epsilon = 0.05f;
            AlternatingPgd attack = new AlternatingPgd(epsilon, epsilon / 4f, 12, 1,
                    List.of(CE, CW, DLR), 0);
            AttackResult result = attack.run(TestModels.syntheticCnn(), batch.x(),
                    new Misclassification(batch.y()));
            NDArray adversarial = result.adversarial(manager);
            assertThat(adversarial.isNaN().any().getBoolean()).isFalse();
            assertThat(adversarial.min().getFloat()).isGreaterThanOrEqualTo(0f);
            assertThat(adversarial.max().getFloat()).isLessThanOrEqualTo(1f);
            for (float d : result.linf()) {
                assertThat(d).isLessThanOrEqualTo(epsilon + 1e-6f);
            }
            assertThat(result.successes()).isPositive();
        }
    }

    @Test
    void breaksExactlyTheNonRobustSamplesOfAnAffineModel() {
        Shape shape = new Shape(1, 8, 8);
        int n = 200;
        float[][] data = AffineClassifier.data(n, shape, 4);
        try (NDManager manager = NDManager.newBaseManager();
                AffineClassifier model = AffineClassifier.random(4, shape, 4f, 3)) {
            int[] labels = new int[n];
            double[] distances = new double[n];
            float[] flat = new float[n * 64];
            for (int i = 0; i < n; i++) {
                labels[i] = model.predict(data[i]);
                distances[i] = model.minimalDistance(data[i], labels[i], 1);
                System.arraycopy(data[i], 0, flat, i * 64, 64);
            }
            double[] sorted = distances.clone();
            Arrays.sort(sorted);
            float epsilon = (float) sorted[n / 2];
            AttackResult result = AlternatingPgd.of(epsilon).run(model,
                    manager.create(flat, new Shape(n, 1, 8, 8)),
                    new Misclassification(manager.create(labels)));
            int decided = 0;
            int agreed = 0;
            for (int i = 0; i < n; i++) {
                if (Math.abs(distances[i] - epsilon) < 1e-3 * epsilon) {
                    continue; // on the boundary up to float32 rounding
                }
                boolean robust = distances[i] > epsilon;
                assertThat(robust && result.success()[i])
                        .as("sample %d is provably robust (%.5f > %.5f) but was broken", i,
                                distances[i], epsilon).isFalse();
                decided++;
                agreed += robust != result.success()[i] ? 1 : 0;
            }
            assertThat(decided).isGreaterThan(n * 9 / 10);
            assertThat(agreed).as("samples whose exact robustness alt-pgd reproduced").isEqualTo(decided);
        }
    }
}
