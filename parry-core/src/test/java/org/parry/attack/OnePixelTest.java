package org.parry.attack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.parry.criterion.Misclassification;
import org.parry.criterion.TargetedMisclassification;
import org.parry.data.Batch;
import org.parry.model.BlockClassifier;
import org.parry.model.NoGradientClassifier;
import org.parry.norm.Norm;
import org.parry.testing.TestModels;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one-pixel attack (attacks.md §6 tests): at most d changed pixels, success on a model with a
 * trigger-pixel feature in grey and colour, an elitist (non-increasing) best fitness, determinism
 * and batch invariance under a seed, targeted success, query-only models and query counting.
 */
class OnePixelTest {

    private static final Logger LOG = LoggerFactory.getLogger(OnePixelTest.class);
    private static final int SIDE = 16;

    /**
     * A query-only model with two trigger features. With s(x) = max over pixels of (the pixel's
     * darkest channel) · weight, where weight falls from 1 at a corner to 0.5 at the opposite one,
     * t1 = s for the top-left corner and t2 = s for the bottom-right one; the logits are
     * (0, 10 (t1 - 0.85), 10 (t2 - 0.85)). Images in [0.1, 0.5] are class 0; one pixel bright in
     * every channel near a corner makes them class 1 or 2. The weights make the search space smooth
     * (a brighter pixel nearer a corner is always fitter), so DE has something to climb.
     */
    private static NoGradientClassifier trigger(int channels, AtomicLong seen) {
        return NoGradientClassifier.of("trigger", new Shape(channels, SIDE, SIDE), 3, x -> {
            seen.addAndGet(x.getShape().get(0));
            NDManager manager = x.getManager();
            float[] topLeft = new float[SIDE * SIDE];
            float[] bottomRight = new float[SIDE * SIDE];
            double far = Math.hypot(SIDE - 1, SIDE - 1);
            for (int r = 0; r < SIDE; r++) {
                for (int c = 0; c < SIDE; c++) {
                    topLeft[r * SIDE + c] = (float) (1 - 0.5 * Math.hypot(r, c) / far);
                    bottomRight[r * SIDE + c] = (float) (1 - 0.5 * Math.hypot(SIDE - 1 - r, SIDE - 1 - c) / far);
                }
            }
            NDArray darkest = x.min(new int[] {1}).reshape(x.getShape().get(0), SIDE * SIDE);
            NDArray t1 = darkest.mul(manager.create(topLeft)).max(new int[] {1});
            NDArray t2 = darkest.mul(manager.create(bottomRight)).max(new int[] {1});
            return NDArrays.stack(new ai.djl.ndarray.NDList(t1.zerosLike(), t1.sub(0.85f).mul(10f),
                    t2.sub(0.85f).mul(10f)), 1);
        });
    }

    /** n images uniform in [0.1, 0.5]: class 0 for the trigger model. */
    private static NDArray quiet(NDManager manager, int n, int channels, long seed) {
        Random random = new Random(seed);
        float[] values = new float[n * channels * SIDE * SIDE];
        for (int k = 0; k < values.length; k++) {
            values[k] = 0.1f + 0.4f * random.nextFloat();
        }
        return manager.create(values, new Shape(n, channels, SIDE, SIDE));
    }

    private static void assertAtMostPixelsChanged(AttackResult result, NDArray x, int d) {
        for (int i = 0; i < result.size(); i++) {
            assertThat(result.l0()[i]).as("sample %d changed pixels", i).isLessThanOrEqualTo(d);
        }
        // L0 above counts pixels (all channels at one location); check it against the values too
        float[] clean = x.toFloatArray();
        float[] adversarial = result.adversarial();
        int plane = SIDE * SIDE;
        int channels = (int) x.getShape().get(1);
        for (int i = 0; i < result.size(); i++) {
            int changed = 0;
            for (int p = 0; p < plane; p++) {
                boolean any = false;
                for (int c = 0; c < channels; c++) {
                    int k = (i * channels + c) * plane + p;
                    any |= adversarial[k] != clean[k];
                }
                changed += any ? 1 : 0;
            }
            assertThat(changed).isEqualTo((int) result.l0()[i]);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void breaksTheTriggerModelWithOnePixelInGreyAndColour(int channels) {
        AtomicLong seen = new AtomicLong();
        OnePixel attack = new OnePixel(1, 30, 60, 0.5f, 1);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = quiet(manager, 20, channels, 2);
            NDArray labels = manager.zeros(new Shape(20), ai.djl.ndarray.types.DataType.INT32);
            OnePixel.Traced traced = attack.runTraced(trigger(channels, seen), x,
                    new Misclassification(labels));
            AttackResult result = traced.result();
            LOG.info(String.format("trigger model, %d channel(s): success %d/20, %d queries,"
                    + " generations used %s", channels, result.successes(), result.queries(),
                    Arrays.toString(Arrays.stream(traced.bestFitness()).mapToInt(t -> t.length - 1).toArray())));
            assertThat(result.successes()).isEqualTo(20);
            assertAtMostPixelsChanged(result, x, 1);
            assertThat(result.gradients()).isZero();
            assertThat(result.queries()).isEqualTo(seen.get());
            // clean point + initial population + 30 per generation run + final judgement
            long budget = 0;
            for (double[] trace : traced.bestFitness()) {
                budget += 1 + 30L * trace.length + 1;
            }
            assertThat(result.queries()).isEqualTo(budget);
            // per image: the same count without the final judgement
            for (int i = 0; i < 20; i++) {
                assertThat(result.sampleQueries()[i])
                        .isEqualTo(1 + 30 * traced.bestFitness()[i].length);
            }
            for (double[] trace : traced.bestFitness()) {
                for (int g = 1; g < trace.length; g++) {
                    assertThat(trace[g]).as("elitist best fitness").isLessThanOrEqualTo(trace[g - 1]);
                }
            }
            int evolved = 0;
            for (double[] trace : traced.bestFitness()) {
                evolved += trace.length > 1 ? 1 : 0;
            }
            assertThat(evolved).as("images that needed generations beyond the initial population")
                    .isPositive();
        }
    }

    @Test
    void bestFitnessNeverRisesOnTheSyntheticCnnWithoutGradients() {
        BlockClassifier cnn = TestModels.syntheticCnn();
        AtomicLong seen = new AtomicLong();
        NoGradientClassifier blackBox = NoGradientClassifier.of("scores-only", new Shape(1, 28, 28),
                10, x -> {
                    seen.addAndGet(x.getShape().get(0));
                    return cnn.logits(x);
                });
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = TestModels.syntheticTest().batch(manager, 0, 8);
            OnePixel.Traced traced = new OnePixel(3, 40, 15, 0.5f, 0).runTraced(blackBox, batch.x(),
                    new Misclassification(batch.y()));
            AttackResult result = traced.result();
            LOG.info(String.format("synthetic CNN, 3 pixels, pop 40, 15 generations: success %d/8,"
                    + " %d queries", result.successes(), result.queries()));
            assertThat(result.gradients()).isZero();
            assertThat(result.queries()).isEqualTo(seen.get());
            for (int i = 0; i < result.size(); i++) {
                assertThat(result.l0()[i]).isLessThanOrEqualTo(3);
            }
            for (double[] trace : traced.bestFitness()) {
                for (int g = 1; g < trace.length; g++) {
                    assertThat(trace[g]).isLessThanOrEqualTo(trace[g - 1]);
                }
            }
            boolean improved = Arrays.stream(traced.bestFitness())
                    .anyMatch(t -> t.length > 1 && t[t.length - 1] < t[0]);
            assertThat(improved).as("evolution lowers some image's best p_y").isTrue();
        }
    }

    @Test
    void sameSeedSameResultAndIndependentOfTheBatch() {
        OnePixel attack = new OnePixel(1, 20, 10, 0.5f, 7);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = quiet(manager, 4, 3, 9);
            NDArray labels = manager.zeros(new Shape(4), ai.djl.ndarray.types.DataType.INT32);
            AtomicLong seen = new AtomicLong();
            float[] first = attack.run(trigger(3, seen), x, new Misclassification(labels)).adversarial();
            float[] second = attack.run(trigger(3, seen), x, new Misclassification(labels)).adversarial();
            assertThat(second).containsExactly(first);
            float[] otherSeed = new OnePixel(1, 20, 10, 0.5f, 8)
                    .run(trigger(3, seen), x, new Misclassification(labels)).adversarial();
            assertThat(otherSeed).isNotEqualTo(first);
            int size = first.length / 4;
            for (int i = 0; i < 4; i++) {
                NDArray one = x.get(i + ":" + (i + 1));
                float[] alone = attack.run(trigger(3, seen), one,
                        new Misclassification(labels.get(i + ":" + (i + 1)))).adversarial();
                assertThat(alone).as("sample %d alone", i)
                        .containsExactly(Arrays.copyOfRange(first, i * size, (i + 1) * size));
            }
        }
    }

    @Test
    void targetedReachesTheChosenCorner() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = quiet(manager, 10, 1, 4);
            NDArray labels = manager.zeros(new Shape(10), ai.djl.ndarray.types.DataType.INT32);
            NDArray targets = labels.add(2);
            AttackResult result = new OnePixel(1, 30, 60, 0.5f, 2).run(trigger(1, new AtomicLong()),
                    x, new TargetedMisclassification(targets, labels));
            for (int i = 0; i < result.size(); i++) {
                assertThat(result.success()[i]).isEqualTo(result.predictions()[i] == 2);
            }
            assertThat(result.successes()).isEqualTo(10);
            assertAtMostPixelsChanged(result, x, 1);
        }
    }

    @Test
    void roundingIsOneFloorClampedIntoTheImage() {
        assertThat(OnePixel.cell(0f, 16)).isZero();
        assertThat(OnePixel.cell(15.999f, 16)).isEqualTo(15);
        assertThat(OnePixel.cell(16f, 16)).isEqualTo(15);
        assertThat(OnePixel.cell(-0.5f, 16)).isZero();
        assertThat(OnePixel.cell(7.5f, 16)).isEqualTo(7);
    }

    @Test
    void registryAndBadSettings() {
        Attack attack = AttackRegistry.create("one-pixel", new AttackOptions(null, null, null, 5,
                Map.of("pixels", "3", "population", "50", "generations", "20", "f", "0.7")));
        assertThat(attack).isEqualTo(new OnePixel(3, 50, 20, 0.7f, 5));
        assertThat(AttackRegistry.create("one-pixel", new AttackOptions(null, null, null, 0, Map.of())))
                .isEqualTo(OnePixel.of(1, 0));
        assertThatThrownBy(() -> new OnePixel(0, 400, 100, 0.5f, 0)).hasMessageContaining("pixels must be >= 1");
        assertThatThrownBy(() -> new OnePixel(1, 3, 100, 0.5f, 0)).hasMessageContaining("population must be >= 4");
        assertThatThrownBy(() -> new OnePixel(1, 400, 100, 0f, 0)).hasMessageContaining("f (DE's differential weight F)");
        assertThatThrownBy(() -> AttackRegistry.create("one-pixel",
                new AttackOptions(Norm.L2, null, null, 0, Map.of())))
                .hasMessageContaining("attacks in l0 only, not l2");
    }
}
