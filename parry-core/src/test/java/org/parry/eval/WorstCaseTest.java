package org.parry.eval;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.parry.attack.AttackResult;

class WorstCaseTest {

    private static AttackResult result(boolean[] success, float value) {
        int n = success.length;
        float[] pixels = new float[n * 2];
        java.util.Arrays.fill(pixels, value);
        int[] predictions = new int[n];
        java.util.Arrays.fill(predictions, 9);
        return new AttackResult(pixels, new Shape(n, 1, 1, 2), success, predictions, new float[n],
                new float[n], new float[n], 0, 0, 0, null);
    }

    /** The example: A breaks {1, 2}, B breaks {2, 3}; 2 keeps A's adversarial. */
    @Test
    void firstAdversarialWinsAndRobustSetIsTheIntersection() {
        int[] labels = {0, 1, 2, 3, 4, 5};
        WorstCase worstCase = new WorstCase(labels, labels);
        long[] all = {0, 1, 2, 3, 4, 5};
        assertThat(worstCase.record(0, all, result(new boolean[] {false, true, true, false, false, false}, 0.25f)))
                .isEqualTo(2);
        assertThat(worstCase.record(1, all, result(new boolean[] {false, false, true, true, false, false}, 0.75f)))
                .isEqualTo(1);
        assertThat(worstCase.stillRobust()).containsExactly(0, 4, 5);
        assertThat(worstCase.robustCount()).isEqualTo(3);
        assertThat(worstCase.brokenBy(2)).isZero();
        assertThat(worstCase.adversarial(2)).containsExactly(0.25f, 0.25f);
        assertThat(worstCase.brokenBy(3)).isEqualTo(1);
        assertThat(worstCase.adversarial(3)).containsExactly(0.75f, 0.75f);
        assertThat(worstCase.adversarial(0)).isNull();
    }

    @Test
    void cleanMistakesAreNeverRobust() {
        WorstCase worstCase = new WorstCase(new int[] {0, 1, 2}, new int[] {0, 7, 2});
        assertThat(worstCase.stillRobust()).containsExactly(0, 2);
        assertThat(worstCase.cleanCorrectCount()).isEqualTo(2);
        assertThat(worstCase.brokenBy(1)).isEqualTo(WorstCase.CLEAN_ERROR);
        // A subset result: rows map to the given indices.
        worstCase.record(0, new long[] {2}, result(new boolean[] {true}, 0.5f));
        assertThat(worstCase.stillRobust()).containsExactly(0);
    }
}
