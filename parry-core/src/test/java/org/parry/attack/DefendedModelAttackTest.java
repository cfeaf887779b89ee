package org.parry.attack;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.defense.purify.JpegCompression;
import org.parry.defense.purify.MedianSmoothing;
import org.parry.model.GradientMode;
import org.parry.model.Pipeline;
import org.parry.norm.Norm;
import org.parry.testing.TestModels;

/**
 * Every registered attack runs on a defended model without knowing it is defended: behind median
 * smoothing (autograd) and JPEG compression (BPDA), each returns feasible points, judged on the
 * defended model itself, and breaks some samples, except one-pixel, which the median filter stops.
 */
class DefendedModelAttackTest {

    static java.util.stream.Stream<AttackPropertiesTest.Case> cases() {
        return AttackPropertiesTest.cases();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void runsOnADefendedModel(AttackPropertiesTest.Case c) {
        try (NDManager manager = NDManager.newBaseManager();
                Pipeline defended = Pipeline.builder(TestModels.syntheticCnn())
                        .add(new MedianSmoothing(2)).add(new JpegCompression(90), GradientMode.BPDA)
                        .build()) {
            Batch batch = TestModels.syntheticTest().batch(manager, 0, 16);
            // a universal perturbation needs more than one pass over 16 images to find the
            // shared direction through the filters
            Attack attack = c.name().equals("uap")
                    ? UniversalPerturbation.builder(Norm.LINF, c.epsilon()).optPasses(5)
                            .optCandidates(3).build()
                    : c.create(c.epsilon());
            AttackResult result = attack.run(defended, batch.x(), new Misclassification(batch.y()));
            NDArray adversarial = result.adversarial(manager);
            assertThat(adversarial.min().getFloat()).isGreaterThanOrEqualTo(0f);
            assertThat(adversarial.max().getFloat()).isLessThanOrEqualTo(1f);
            if (!Float.isNaN(c.epsilon())) {
                Norm norm = c.norm();
                assertThat(norm.distance(adversarial, batch.x()).max().getFloat())
                        .isLessThanOrEqualTo(c.epsilon() * (1 + 1e-5f) + 1e-6f);
            }
            int[] predictions = defended.logits(adversarial).argMax(1)
                    .toType(DataType.INT32, false).toIntArray();
            assertThat(result.predictions()).as("judged on the defended model")
                    .containsExactly(predictions);
            if (c.name().equals("one-pixel")) {
                // A 2x2 median filter discards an isolated changed pixel, so one pixel cannot
                // break this model: the defense works as designed against this attack.
                assertThat(result.successes()).as("one-pixel against median smoothing").isZero();
            } else {
                assertThat(result.successes()).as("%s breaks some samples of the defended model",
                        c).isPositive();
            }
        }
    }
}
