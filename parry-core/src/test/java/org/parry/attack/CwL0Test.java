package org.parry.attack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.parry.criterion.Misclassification;
import org.parry.model.NoGradientClassifier;
import org.parry.norm.Norm;
import org.parry.testing.AffineClassifier;

/**
 * CW-L0 (attacks.md §3.3): the freezing rule on hand-made numbers, and the attack on the affine
 * model with few Adam steps per c (the attack is slow by design; see {@link CwL0}).
 */
class CwL0Test {

    private static final Shape SHAPE = new Shape(1, 8, 8);
    private static final int D = 64;
    private static final int N = 6;

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

    private static CwL0 fast() {
        return CwL0.builder().optSteps(50).build();
    }

    @Test
    void changesFewerPixelsThanCwL2AndStaysAdversarial() {
        AttackResult l0 = fast().run(model, batch(all()), untargeted(all()));
        AttackResult l2 = CwL2.builder().optBinarySteps(5).optSteps(200).build()
                .run(model, batch(all()), untargeted(all()));
        assertThat(l0.successes()).isEqualTo(N);
        for (int i = 0; i < N; i++) {
            assertThat(l0.l0()[i]).as("sample %d", i).isLessThan(l2.l0()[i]).isGreaterThan(0f);
            // The result is adversarial with the reference's margin κ = 0.01.
            float[] point = Arrays.copyOfRange(l0.adversarial(), i * D, (i + 1) * D);
            double[] z = model.logits(point);
            int label = labels[i];
            double other = IntStream.range(0, z.length).filter(k -> k != label)
                    .mapToDouble(k -> z[k]).max().orElseThrow();
            assertThat(other - z[label]).isGreaterThanOrEqualTo(0.01 - 1e-4);
        }
        for (float value : l0.adversarial()) {
            assertThat(value).isBetween(0f, 1f);
        }
    }

    @Test
    void deterministic() {
        int[] rows = {0, 1};
        AttackResult first = fast().run(model, batch(rows), untargeted(rows));
        AttackResult second = fast().run(model, batch(rows), untargeted(rows));
        assertThat(second.adversarial()).containsExactly(first.adversarial());
    }

    @Test
    void freezesTheLowestScoresUpToThreeTenthsOfTheSquareRootOfTheChangedPixels() {
        // Two channels, 6 pixels; score = |δ_c1 + δ_c2| · (|g_c1| + |g_c2|).
        float[] delta = {0.5f, 0f, 0.1f, 0.2f, 0f, 0.3f, /* channel 2 */ 0.5f, 0f, 0f, 0f, 0f, 0f};
        float[] gradient = {1f, 1f, 0.01f, 0.02f, 1f, 1f, /* channel 2 */ 1f, 1f, 0f, 0f, 1f, 1f};
        // Scores: p0 2.0, p1 0, p2 0.001, p3 0.004, p4 0 (frozen already), p5 0.6.
        float[] allowed = {1f, 1f, 1f, 1f, 0f, 1f};
        // Changed pixels: p0, p2, p3, p5 -> 4; limit 0.3 · 2 = 0.6, so one pixel is frozen.
        CwL0.freeze(delta, gradient, allowed, 2);
        assertThat(allowed).containsExactly(1f, 0f, 1f, 1f, 0f, 1f);

        // With 100 changed pixels the limit is 0.3 · 10 = 3: p0, p1, p2 go.
        float[] many = new float[100];
        Arrays.fill(many, 0.001f);
        float[] manyGradient = new float[100];
        float[] manyAllowed = new float[100];
        Arrays.fill(manyAllowed, 1f);
        for (int p = 0; p < 100; p++) {
            manyGradient[p] = p; // score = 0.001 · p: increasing with p
        }
        CwL0.freeze(many, manyGradient, manyAllowed, 1);
        assertThat(IntStream.range(0, 100).filter(p -> manyAllowed[p] == 0f).toArray())
                .containsExactly(0, 1, 2);

        // Freezing stops right after a pixel whose score exceeds 0.01, before the limit of 3.
        float[] stopGradient = new float[100];
        Arrays.fill(stopGradient, 1000f); // score 1
        stopGradient[0] = 0f; // score 0
        stopGradient[1] = 20f; // score 0.02
        float[] stopAllowed = new float[100];
        Arrays.fill(stopAllowed, 1f);
        CwL0.freeze(many, stopGradient, stopAllowed, 1);
        assertThat(IntStream.range(0, 100).filter(p -> stopAllowed[p] == 0f).toArray())
                .containsExactly(0, 1);
    }

    @Test
    void aModelWithoutGradientsIsAClearError() {
        NoGradientClassifier blackBox = NoGradientClassifier.of("remote", SHAPE, 4, model::logits);
        assertThatThrownBy(() -> fast().run(blackBox, batch(0), untargeted(0)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("cw-l0 needs input gradients");
    }

    @Test
    void settingsAreValidatedAndRegistered() {
        assertThatThrownBy(() -> CwL0.builder().optConstFactor(1f).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("constFactor must be > 1, got 1.0");
        Attack attack = AttackRegistry.create("cw-l0", new AttackOptions(Norm.L0, null, null, 0L,
                Map.of("largestConst", "1000")));
        assertThat(attack.settings()).containsEntry("norm", "l0").containsEntry("steps", 1000)
                .containsEntry("confidence", 0.01f).containsEntry("initialConst", 1e-3f)
                .containsEntry("largestConst", 1000f);
    }
}
