package org.parry.attack;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.norm.Norm;
import org.parry.testing.SymmetricBoxClassifier;
import org.parry.testing.TestModels;

/**
 * Attacks keep their points in the model's box ({@link org.parry.model.Classifier#bounds()}),
 * not in [0, 1]: on a model whose box is [-1, 1], results stay in [-1, 1] and move pixels that
 * are below 0, which an attack clipping to [0, 1] could not return.
 */
class ModelBoxTest {

    private static final int N = 16;

    @ParameterizedTest
    @CsvSource({"fgsm, linf, 0.4, ", "rand-fgsm, linf, 0.4, ", "pgd, linf, 0.4, 10",
        "pgd, l2, 3, 10", "apgd-ce, linf, 0.4, 10", "square, linf, 0.4, 100", "square, l2, 3, 100",
        "deepfool, l2, , 20", "fab, linf, , 10", "cw-l2, l2, , 50"})
    void resultsStayInTheModelsBoxAndBelowZero(String name, String norm, Float epsilon,
            Integer steps) {
        SymmetricBoxClassifier model = new SymmetricBoxClassifier(TestModels.syntheticCnn());
        Attack attack = AttackRegistry.create(name, new AttackOptions(Norm.parse(norm), epsilon,
                steps, 3, Map.of()));
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = TestModels.syntheticTest().batch(manager, 0, N);
            NDArray x = SymmetricBoxClassifier.toBox(batch.x());
            AttackResult result = attack.run(model, x, new Misclassification(batch.y()));
            float[] adversarial = result.adversarial();
            float[] clean = x.toFloatArray();
            int movedBelowZero = 0;
            for (int i = 0; i < adversarial.length; i++) {
                assertThat(adversarial[i]).as("%s pixel %d", name, i).isBetween(-1f, 1f);
                if (adversarial[i] < 0f && adversarial[i] != clean[i]) {
                    movedBelowZero++;
                }
            }
            assertThat(movedBelowZero).as("%s moves pixels of the lower half of the box", name)
                    .isPositive();
            assertThat(result.successes()).as("%s breaks some of the %d samples", name, N)
                    .isPositive();
        }
    }

    /**
     * FGSM on the [-1, 1] model at 2ε is FGSM on the pixel model at ε, mapped by 2x - 1: the
     * same samples fall (up to a sample whose gradient sign rounding flips), and the points agree.
     */
    @Test
    void theSameAttackInEitherBoxGivesTheSameNumbers() {
        SymmetricBoxClassifier shifted = new SymmetricBoxClassifier(TestModels.syntheticCnn());
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = TestModels.syntheticTest().batch(manager, 0, 64);
            AttackResult pixels = Fgsm.of(0.2f).run(TestModels.syntheticCnn(), batch.x(),
                    new Misclassification(batch.y()));
            AttackResult box = Fgsm.of(0.4f).run(shifted, SymmetricBoxClassifier.toBox(batch.x()),
                    new Misclassification(batch.y()));
            int agree = 0;
            for (int i = 0; i < 64; i++) {
                agree += pixels.success()[i] == box.success()[i] ? 1 : 0;
            }
            assertThat(agree).isGreaterThanOrEqualTo(63);
            assertThat(pixels.successes()).isPositive();
            float[] mapped = SymmetricBoxClassifier.toBox(pixels.adversarial(manager)).toFloatArray();
            int close = 0;
            for (int i = 0; i < mapped.length; i++) {
                close += Math.abs(mapped[i] - box.adversarial()[i]) <= 1e-5f ? 1 : 0;
            }
            assertThat((double) close / mapped.length).isGreaterThan(0.999);
        }
    }
}
