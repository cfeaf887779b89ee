package org.parry.attack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.IntStream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.parry.criterion.Misclassification;
import org.parry.model.NoGradientClassifier;
import org.parry.norm.Norm;
import org.parry.testing.AffineClassifier;

/**
 * CW-L∞ (attacks.md §3.2) on the affine model, where the exact minimal L∞ distance is known:
 * d∞ = min_k (z_y - z_k) / ||w_y - w_k||_1. Few Adam steps per c keep the test fast; the attack
 * then stops a little above d∞, which is still far below the L∞ size of the C&W-L2 result.
 */
class CwLinfTest {

    private static final Shape SHAPE = new Shape(1, 8, 8);
    private static final int D = 64;
    private static final int N = 8;

    private static AffineClassifier model;
    private static float[][] data;
    private static int[] labels;
    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        model = AffineClassifier.random(4, SHAPE, 4f, 11);
        data = AffineClassifier.data(N, SHAPE, 12);
        labels = new int[N];
        for (int i = 0; i < N; i++) {
            labels[i] = model.predict(data[i]); // every sample starts correctly classified
        }
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
        model.close();
    }

    private static NDArray batch(int... rows) {
        float[] flat = new float[rows.length * D];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(data[rows[r]], 0, flat, r * D, D);
        }
        return manager.create(flat, new Shape(rows.length, 1, 8, 8));
    }

    private static int[] all() {
        return IntStream.range(0, N).toArray();
    }

    private static Misclassification untargeted(int... rows) {
        int[] own = Arrays.stream(rows).map(r -> labels[r]).toArray();
        return new Misclassification(manager.create(own));
    }

    private static CwLinf fast() {
        return CwLinf.builder().optSteps(50).build();
    }

    @Test
    void smallerMaxNormThanCwL2AndNeverBelowTheExactLinfDistance() {
        AttackResult linf = fast().run(model, batch(all()), untargeted(all()));
        AttackResult l2 = CwL2.builder().optBinarySteps(5).optSteps(200).build()
                .run(model, batch(all()), untargeted(all()));
        assertThat(linf.successes()).isEqualTo(N);
        assertThat(l2.successes()).isEqualTo(N);
        for (int i = 0; i < N; i++) {
            double exact = model.minimalDistance(data[i], labels[i], 1);
            assertThat((double) linf.linf()[i]).as("sample %d vs exact %.5f", i, exact)
                    .isGreaterThanOrEqualTo(exact * (1 - 1e-4) - 1e-6)
                    // τ shrinks by 0.9 per success, so the last success can be 1/0.9 above the
                    // best the inner solver reaches; with 50 steps per c allow 1.35.
                    .isLessThanOrEqualTo(exact * 1.35);
            assertThat(linf.linf()[i]).as("sample %d", i).isLessThan(l2.linf()[i]);
        }
    }

    @Test
    void resultsAreInTheBoxFiniteAndDeterministic() {
        int[] rows = {0, 1, 2};
        AttackResult first = fast().run(model, batch(rows), untargeted(rows));
        AttackResult second = fast().run(model, batch(rows), untargeted(rows));
        for (float value : first.adversarial()) {
            assertThat(value).isBetween(0f, 1f); // no NaN either: NaN fails isBetween
        }
        assertThat(second.adversarial()).containsExactly(first.adversarial());
    }

    @Test
    void batchOfThreeEqualsThreeSingleSamples() {
        int[] rows = {3, 4, 5};
        AttackResult together = fast().run(model, batch(rows), untargeted(rows));
        for (int r = 0; r < rows.length; r++) {
            AttackResult alone = fast().run(model, batch(rows[r]), untargeted(rows[r]));
            assertThat(alone.success()[0]).isEqualTo(together.success()[r]);
            // Every sample keeps its own τ, c, Adam step count and phase.
            float[] expected = Arrays.copyOfRange(together.adversarial(), r * D, (r + 1) * D);
            assertThat(alone.adversarial()).containsExactly(expected, Offset.offset(1e-5f));
        }
    }

    @Test
    void anAlreadyAdversarialInputIsReturnedAsIs() {
        int[] wrong = {(labels[0] + 1) % 4};
        AttackResult result = fast().run(model, batch(0),
                new Misclassification(manager.create(wrong)));
        assertThat(result.success()).containsExactly(true);
        assertThat(result.linf()).containsExactly(0f);
        assertThat(result.gradients()).isZero();
    }

    @Test
    void aModelWithoutGradientsIsAClearError() {
        NoGradientClassifier blackBox = NoGradientClassifier.of("remote", SHAPE, 4, model::logits);
        assertThatThrownBy(() -> fast().run(blackBox, batch(0), untargeted(0)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("cw-linf needs input gradients");
    }

    @Test
    void settingsAreValidatedAndRegistered() {
        assertThatThrownBy(() -> CwLinf.builder().optDecreaseFactor(1f).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("decreaseFactor must be in (0, 1), got 1.0");
        assertThatThrownBy(() -> CwLinf.builder().optLargestConst(1e-6f).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("largestConst");
        Attack attack = AttackRegistry.create("cw-linf", new AttackOptions(Norm.LINF, null, 200, 0L,
                Map.of("lr", "0.01")));
        assertThat(attack.settings()).containsEntry("steps", 200).containsEntry("lr", 0.01f)
                .containsEntry("initialConst", 1e-5f).containsEntry("largestConst", 20f)
                .containsEntry("constFactor", 2f).containsEntry("decreaseFactor", 0.9f);
    }
}
