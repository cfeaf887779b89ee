package org.parry.attack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.eval.Suite;
import org.parry.eval.SuiteAttack;
import org.parry.loss.LogitLoss;
import org.parry.model.LossGradient;
import org.parry.norm.Norm;
import org.parry.testing.NoisyClassifier;
import org.parry.testing.TestModels;

/**
 * APGD with expectation over transformation (attacks.md §7.1 and §11.2; AutoAttack's "rand"
 * version): the averaged gradient's variance falls as 1/eot, a deterministic model is attacked
 * exactly as without EOT, and on a randomized model (fresh input noise at every pass) 20 draws
 * break far more samples than one.
 */
class ApgdEotTest {

    /** Noise of the randomized model: large enough to make one gradient draw unreliable. */
    private static final float SIGMA = 0.1f;

    /**
     * z_0 - z_1: a piecewise-linear network's logit gradients are bounded, so their variance is a
     * stable statistic (cross-entropy gradients are heavy-tailed: tiny for confident draws, large
     * for the rare draws near the boundary).
     */
    private static final LogitLoss MARGIN = (logits, labels) -> logits.get(":, 0").sub(logits.get(":, 1"));

    @Test
    void theAveragedGradientHasOneEotThOfTheVariance() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = TestModels.syntheticTest().batch(manager, 0, 8);
            CountingClassifier noisy = new CountingClassifier(
                    new NoisyClassifier(TestModels.syntheticCnn(), SIGMA, 11));
            double single = gradientVariance(noisy, batch, 1);
            assertThat(noisy.gradients()).isEqualTo(8L * 8);
            double averaged = gradientVariance(noisy, batch, 20);
            assertThat(noisy.gradients()).as("every draw counts as a gradient")
                    .isEqualTo(8L * 8 + 8L * 20 * 8);
            // Two variances, each estimated from 8 calls over 8 x 784 coordinates; the ratio's
            // expected value is 1/20. Measured 0.0498 to 0.0505 over five noise seeds (16 calls,
            // 16 images); +-20% leaves room for the smaller sample.
            assertThat(averaged / single).as("variance ratio eot=20 / eot=1")
                    .isBetween(0.04, 0.06);
        }
    }

    /** The sum over coordinates of the gradient's variance across calls at the same point. */
    private static double gradientVariance(CountingClassifier model, Batch batch, int eot) {
        int calls = 8;
        float[][] draws = new float[calls][];
        for (int c = 0; c < calls; c++) {
            try (NDManager step = batch.x().getManager().newSubManager()) {
                step.tempAttachAll(batch.x(), batch.y());
                LossGradient pass = LossGradient.mean(model::lossGradient, batch.x(), batch.y(), MARGIN, eot);
                
                draws[c] = pass.gradient().toFloatArray();
            }
        }
        double total = 0;
        for (int j = 0; j < draws[0].length; j++) {
            double mean = 0;
            for (float[] draw : draws) {
                mean += draw[j];
            }
            mean /= calls;
            double squares = 0;
            for (float[] draw : draws) {
                squares += (draw[j] - mean) * (draw[j] - mean);
            }
            total += squares / (calls - 1);
        }
        return total;
    }

    @Test
    void onADeterministicModelEotChangesNothingButTheCost() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = TestModels.syntheticTest().batch(manager, 0, 32);
            Misclassification criterion = new Misclassification(batch.y());
            // ε small enough that some samples run all 20 steps.
            AttackResult once = Apgd.builder(Norm.LINF, 0.06f).optSteps(20).optSeed(2).build()
                    .run(TestModels.syntheticCnn(), batch.x(), criterion);
            AttackResult four = Apgd.builder(Norm.LINF, 0.06f).optSteps(20).optSeed(2).optEot(4)
                    .build().run(TestModels.syntheticCnn(), batch.x(), criterion);
            assertThat(once.size() - once.successes()).as("samples robust for all 20 steps")
                    .isPositive();
            assertThat(four.adversarial()).containsExactly(once.adversarial());
            assertThat(four.success()).containsExactly(once.success());
            assertThat(four.gradients()).isEqualTo(4 * once.gradients());

            AttackResult targetedOnce = ApgdTargeted.builder(Norm.L2, 1f).optSteps(10)
                    .optTargets(2).optSeed(2).build()
                    .run(TestModels.syntheticCnn(), batch.x(), criterion);
            AttackResult targetedThree = ApgdTargeted.builder(Norm.L2, 1f).optSteps(10)
                    .optTargets(2).optSeed(2).optEot(3).build()
                    .run(TestModels.syntheticCnn(), batch.x(), criterion);
            assertThat(targetedThree.adversarial()).containsExactly(targetedOnce.adversarial());
            assertThat(targetedThree.gradients()).isEqualTo(3 * targetedOnce.gradients());
        }
    }

    @Test
    void twentyDrawsBreakARandomizedModelFarMoreOftenThanOne() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = TestModels.syntheticTest().batch(manager, 0, 100);
            Misclassification criterion = new Misclassification(batch.y());
            int[] robust = new int[2];
            int[] eots = {1, 20};
            for (int i = 0; i < 2; i++) {
                NoisyClassifier noisy = new NoisyClassifier(TestModels.syntheticCnn(), SIGMA, 5);
                AttackResult result = Apgd.builder(Norm.LINF, 0.1f).optSteps(10).optEot(eots[i])
                        .optSeed(3).build().run(noisy, batch.x(), criterion);
                robust[i] = result.size() - result.successes();
            }
            // One draw follows a noisy gradient and lets a sample go on the first lucky
            // misclassified draw; measured 52 vs 14 robust of 100. The margin leaves room for
            // the randomness of the final (single-draw) judgement, whose standard error is ~5.
            assertThat(robust[0]).as("robust with one draw").isGreaterThanOrEqualTo(30);
            assertThat(robust[1]).as("robust with 20 draws, vs %d with one", robust[0])
                    .isLessThanOrEqualTo(robust[0] - 20);
        }
    }

    @Test
    void theRandPresetAveragesTwentyDrawsWithOneRestart() {
        Suite rand = Suite.parse("autoattack-rand");
        assertThat(rand.attacks()).extracting(SuiteAttack::name).containsExactly("apgd-ce", "apgd-dlr");
        for (SuiteAttack spec : rand.attacks()) {
            Attack attack = spec.create(Norm.LINF, 0.1f, 0);
            assertThat(attack.settings()).containsEntry("eot", 20).containsEntry("restarts", 1)
                    .containsEntry("steps", 100);
        }
        assertThat(AttackRegistry.create("apgd-t", new AttackOptions(Norm.LINF, 0.1f, null, 0,
                Map.of("eot", "5"))).settings()).containsEntry("eot", 5);
        assertThat(AttackRegistry.create("apgd-ce", new AttackOptions(Norm.LINF, 0.1f, null, 0,
                Map.of())).settings()).containsEntry("eot", 1);
        assertThatThrownBy(() -> Apgd.builder(Norm.LINF, 0.1f).optEot(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("eot must be >= 1, got 0");
        assertThatThrownBy(() -> AttackRegistry.create("apgd-dlr", new AttackOptions(Norm.LINF,
                0.1f, null, 0, Map.of("eot", "many")))).hasMessageContaining("eot=many");
    }
}
