package org.parry.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Symmetric label noise: its rate, its draws, its determinism and its errors. */
class LabelNoiseTest {

    private static final ImageDataset DATA = SyntheticDataset.generate(4000, 10, 1, 8, 8, 1);

    /**
     * At rate 0.3 on 4000 labels the number changed lies within 4 binomial standard deviations of
     * 1200 (sd = √(4000·0.3·0.7) ≈ 29); no label is "changed" to itself; the new classes cover
     * all the others, roughly uniformly; the images are untouched.
     */
    @Test
    void changesTheExpectedFractionOfLabelsToOtherClasses() {
        float rate = 0.3f;
        ImageDataset noisy = LabelNoise.symmetric(DATA, rate, 7);
        int[] before = DATA.labels();
        int[] after = noisy.labels();
        int changed = 0;
        int[][] moves = new int[10][10];
        for (int i = 0; i < before.length; i++) {
            if (before[i] != after[i]) {
                changed++;
                moves[before[i]][after[i]]++;
            }
        }
        double n = before.length;
        assertThat((double) changed).isCloseTo(n * rate,
                org.assertj.core.data.Offset.offset(4 * Math.sqrt(n * rate * (1 - rate))));
        int[] targets = new int[10];
        for (int from = 0; from < 10; from++) {
            for (int to = 0; to < 10; to++) {
                targets[to] += moves[from][to];
            }
        }
        // each class receives about changed/10 (120 ± 4·√(120·0.9) ≈ ±42)
        for (int target : targets) {
            assertThat(target).isBetween(changed / 10 - 42, changed / 10 + 42);
        }
        for (int i = 0; i < before.length; i += 97) {
            assertThat(noisy.image(i)).containsExactly(DATA.image(i));
        }
        assertThat(noisy.name()).isEqualTo(DATA.name());
    }

    /**
     * Every label chosen for change gets another class: at a rate near 1 nearly every label
     * differs (if a draw could return the same class, about 1/10 of them would not).
     */
    @Test
    void aChangedLabelIsNeverTheSameClass() {
        int[] before = DATA.labels();
        int[] after = LabelNoise.symmetric(DATA, 0.999f, 3).labels();
        int same = 0;
        for (int i = 0; i < before.length; i++) {
            same += before[i] == after[i] ? 1 : 0;
        }
        assertThat(same).isLessThan(20); // 4 expected from the 0.1 % kept
    }

    @Test
    void theSameSeedGivesTheSameLabelsAndRateZeroIsTheIdentity() {
        assertThat(LabelNoise.symmetric(DATA, 0.5f, 11).labels())
                .containsExactly(LabelNoise.symmetric(DATA, 0.5f, 11).labels());
        assertThat(LabelNoise.symmetric(DATA, 0.5f, 12).labels())
                .isNotEqualTo(LabelNoise.symmetric(DATA, 0.5f, 11).labels());
        assertThat(LabelNoise.symmetric(DATA, 0f, 11)).isSameAs(DATA);
    }

    @Test
    void aRateOutsideZeroToOneIsAClearError() {
        for (float rate : new float[] {-0.1f, 1f, 1.5f, Float.NaN}) {
            assertThatThrownBy(() -> LabelNoise.symmetric(DATA, rate, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("label-noise rate must be in [0, 1)")
                    .hasMessageContaining("got " + rate);
        }
        ImageDataset oneClass = SyntheticDataset.generate(10, 1, 1, 8, 8, 1);
        assertThatThrownBy(() -> LabelNoise.symmetric(oneClass, 0.2f, 0))
                .hasMessageContaining("at least two classes");
    }
}
