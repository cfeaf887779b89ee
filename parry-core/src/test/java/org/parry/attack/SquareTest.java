package org.parry.attack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.parry.criterion.Misclassification;
import org.parry.criterion.TargetedMisclassification;
import org.parry.data.Batch;
import org.parry.model.BlockClassifier;
import org.parry.model.Bounds;
import org.parry.model.Classifier;
import org.parry.model.NoGradientClassifier;
import org.parry.norm.Norm;
import org.parry.testing.AffineClassifier;
import org.parry.testing.TestModels;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Square attack: black-box use and query counting, feasibility, determinism, strength against
 * PGD on the small synthetic CNN, monotonicity in the budget, targeted success, exact robustness
 * on an affine model, flat memory, the p schedule and the L2 patterns, configuration errors.
 */
class SquareTest {

    private static final Logger LOG = LoggerFactory.getLogger(SquareTest.class);
    private static final Shape INPUT = new Shape(1, 28, 28);

    /** The synthetic CNN behind a logits-only interface that counts the images it sees. */
    private static NoGradientClassifier blackBox(AtomicLong seen) {
        BlockClassifier cnn = TestModels.syntheticCnn();
        return NoGradientClassifier.of("scores-only", INPUT, 10, x -> {
            seen.addAndGet(x.getShape().get(0));
            return cnn.logits(x);
        });
    }

    private static Batch batch(NDManager manager, int n) {
        return TestModels.syntheticTest().batch(manager, 0, n);
    }

    private static float epsilon(Norm norm) {
        return norm == Norm.LINF ? 0.15f : 2f;
    }

    @Test
    void worksOnABlackBoxModelAndCountsEveryQuery() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = batch(manager, 16);
            AtomicLong seen = new AtomicLong();
            int steps = 200;
            AttackResult result = new Square(Norm.LINF, 0.2f, steps, 0.8f, 1, 0)
                    .run(blackBox(seen), batch.x(), new Misclassification(batch.y()));
            assertThat(result.gradients()).isZero();
            assertThat(result.queries()).as("queries the model really answered").isEqualTo(seen.get());
            assertThat(result.successes()).isGreaterThanOrEqualTo(12);
            // clean point + start + steps + final judgement, unless samples stop early
            long budget = 16L * (steps + 3);
            assertThat(result.queries()).isLessThanOrEqualTo(budget);
            if (result.successes() > 0) {
                assertThat(result.queries()).as("broken samples are not queried again").isLessThan(budget);
            }
            // Per sample: the search's queries add up to the model's count less the final
            // judgement (one per sample), and a broken sample stopped at its breaking query.
            int[] perSample = result.sampleQueries();
            assertThat(perSample).hasSize(16);
            assertThat(java.util.Arrays.stream(perSample).asLongStream().sum() + 16)
                    .isEqualTo(result.queries());
            for (int i = 0; i < 16; i++) {
                assertThat(perSample[i]).isBetween(1, steps + 2);
                if (!result.success()[i]) {
                    assertThat(perSample[i]).as("a robust sample ran every step")
                            .isEqualTo(steps + 2);
                }
            }
            assertThat(java.util.Arrays.stream(perSample).filter(q -> q < steps + 2).count())
                    .as("samples that stopped early").isPositive();
        }
    }

    @ParameterizedTest
    @EnumSource(value = Norm.class, names = {"LINF", "L2"})
    void resultsAreFeasibleAndJudgedOnTheReturnedPoint(Norm norm) {
        BlockClassifier model = TestModels.syntheticCnn();
        float epsilon = epsilon(norm);
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = batch(manager, 16);
            AttackResult result = new Square(norm, epsilon, 100, 0.8f, 1, 1)
                    .run(model, batch.x(), new Misclassification(batch.y()));
            NDArray adversarial = result.adversarial(manager);
            assertThat(adversarial.isNaN().any().getBoolean()).as("NaN").isFalse();
            assertThat(adversarial.min().getFloat()).isGreaterThanOrEqualTo(0f);
            assertThat(adversarial.max().getFloat()).isLessThanOrEqualTo(1f);
            float[] distances = norm.distance(adversarial, batch.x()).toFloatArray();
            for (int i = 0; i < distances.length; i++) {
                assertThat(distances[i]).as("%s sample %d in the ball", norm, i)
                        .isLessThanOrEqualTo(epsilon * (1 + 1e-5f) + 1e-6f);
            }
            int[] predictions = model.logits(adversarial).argMax(1).toType(DataType.INT32, false).toIntArray();
            assertThat(result.predictions()).containsExactly(predictions);
            int[] labels = batch.y().toIntArray();
            for (int i = 0; i < labels.length; i++) {
                assertThat(result.success()[i]).isEqualTo(predictions[i] != labels[i]);
            }
            assertThat(result.successes()).as("%s at eps %s breaks some samples", norm, epsilon).isPositive();
        }
    }

    @ParameterizedTest
    @EnumSource(value = Norm.class, names = {"LINF", "L2"})
    void sameSeedSameResultAndNoDependenceOnTheBatch(Norm norm) {
        Square attack = new Square(norm, epsilon(norm) / 2, 40, 0.8f, 1, 11);
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = batch(manager, 4);
            Misclassification criterion = new Misclassification(batch.y());
            float[] first = attack.run(TestModels.syntheticCnn(), batch.x(), criterion).adversarial();
            float[] second = attack.run(TestModels.syntheticCnn(), batch.x(), criterion).adversarial();
            assertThat(second).containsExactly(first);
            float[] otherSeed = new Square(norm, epsilon(norm) / 2, 40, 0.8f, 1, 12)
                    .run(TestModels.syntheticCnn(), batch.x(), criterion).adversarial();
            assertThat(otherSeed).isNotEqualTo(first);
            // each sample's random stream depends on its content, not on the batch around it
            int size = first.length / 4;
            for (int i : new int[] {0, 3}) {
                Batch one = TestModels.syntheticTest().batch(manager, i, i + 1);
                float[] alone = attack.run(TestModels.syntheticCnn(), one.x(),
                        new Misclassification(one.y())).adversarial();
                for (int j = 0; j < size; j++) {
                    assertThat(alone[j]).as("%s sample %d pixel %d", norm, i, j)
                            .isCloseTo(first[i * size + j], Offset.offset(1e-6f));
                }
            }
        }
    }

    @Test
    void breaksAboutAsManyAsPgdAndMoreQueriesNeverBreakFewer() {
        BlockClassifier model = TestModels.syntheticCnn();
        float epsilon = 0.2f;
        int n = 50;
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = batch(manager, n);
            Misclassification criterion = new Misclassification(batch.y());
            AttackResult pgd = Pgd.builder(Norm.LINF, epsilon).optSteps(20).optSeed(0).build()
                    .run(model, batch.x(), criterion);
            AttackResult short500 = new Square(Norm.LINF, epsilon, 500, 0.8f, 1, 0)
                    .run(NoGradientClassifier.of("scores-only", INPUT, 10, model::logits), batch.x(), criterion);
            AttackResult long1000 = new Square(Norm.LINF, epsilon, 1000, 0.8f, 1, 0)
                    .run(NoGradientClassifier.of("scores-only", INPUT, 10, model::logits), batch.x(), criterion);
            double pgdRobust = 1 - (double) pgd.successes() / n;
            double robust500 = 1 - (double) short500.successes() / n;
            double robust1000 = 1 - (double) long1000.successes() / n;
            LOG.info(String.format("linf eps %.2f on %d samples: robust accuracy PGD-20 %.2f (%d gradients,"
                    + " %.1f s), Square-500 %.2f (%d queries, %.1f s), Square-1000 %.2f (%d queries, %.1f s)",
                    epsilon, n, pgdRobust, pgd.gradients(), pgd.seconds(), robust500, short500.queries(),
                    short500.seconds(), robust1000, long1000.queries(), long1000.seconds()));
            // measured: PGD-20 0.00, Square-500 0.10, Square-1000 0.06 (Square-3000 0.00). The slack
            // allows for float differences between CPUs, which can change single accept decisions.
            assertThat(pgdRobust).as("PGD breaks most samples at this eps").isLessThanOrEqualTo(0.1);
            assertThat(robust1000).as("Square-1000 within a few points of PGD-20")
                    .isLessThanOrEqualTo(pgdRobust + 0.1);
            for (int i = 0; i < n; i++) {
                if (short500.success()[i]) {
                    assertThat(long1000.success()[i]).as("sample %d broken at 500 stays broken at 1000", i).isTrue();
                }
            }
            assertThat(robust1000).isLessThanOrEqualTo(robust500);
        }
    }

    @Test
    void targetedSquareHitsItsTargets() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = batch(manager, 20);
            NDArray targets = batch.y().add(1).mod(10);
            AttackResult result = new Square(Norm.LINF, 0.5f, 300, 0.8f, 1, 0).run(
                    NoGradientClassifier.of("scores-only", INPUT, 10, TestModels.syntheticCnn()::logits),
                    batch.x(), new TargetedMisclassification(targets, batch.y()));
            int[] wanted = targets.toIntArray();
            for (int i = 0; i < wanted.length; i++) {
                assertThat(result.success()[i]).isEqualTo(result.predictions()[i] == wanted[i]);
            }
            LOG.info("targeted linf eps 0.5, 300 steps: {}/20 hit their target, {} queries",
                    result.successes(), result.queries());
            assertThat(result.successes()).as("targeted successes").isGreaterThanOrEqualTo(16);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Norm.class, names = {"LINF", "L2"})
    void neverBreaksAnExactlyRobustSampleOfAnAffineModel(Norm norm) {
        Shape shape = new Shape(1, 8, 8);
        int n = 100;
        double q = norm == Norm.LINF ? 1 : 2;
        try (AffineClassifier affine = AffineClassifier.random(4, shape, 4f, 3);
                NDManager manager = NDManager.newBaseManager()) {
            float[][] data = AffineClassifier.data(n, shape, 4);
            int[] labels = new int[n];
            double[] distances = new double[n];
            float[] flat = new float[n * 64];
            for (int i = 0; i < n; i++) {
                labels[i] = affine.predict(data[i]);
                distances[i] = affine.minimalDistance(data[i], labels[i], q);
                System.arraycopy(data[i], 0, flat, i * 64, 64);
            }
            double[] sorted = distances.clone();
            java.util.Arrays.sort(sorted);
            float epsilon = (float) sorted[n / 2]; // about half the samples are exactly robust
            NoGradientClassifier blackBox = NoGradientClassifier.of("affine", shape, 4, affine::logits);
            AttackResult result = new Square(norm, epsilon, 1000, 0.8f, 1, 0).run(blackBox,
                    manager.create(flat, new Shape(n, 1, 8, 8)), new Misclassification(manager.create(labels)));
            int vulnerable = 0;
            int broken = 0;
            for (int i = 0; i < n; i++) {
                if (distances[i] > epsilon) {
                    assertThat(result.success()[i]).as("sample %d is robust: distance %s > eps %s", i,
                            distances[i], epsilon).isFalse();
                } else {
                    vulnerable++;
                    broken += result.success()[i] ? 1 : 0;
                }
            }
            LOG.info("affine {} eps {}: Square-1000 broke {} of the {} breakable samples", norm, epsilon,
                    broken, vulnerable);
            assertThat(broken).as("Square finds most breakable samples").isGreaterThanOrEqualTo(vulnerable / 2);
        }
    }

    @Test
    void memoryStaysFlatOver5000Iterations() {
        Shape shape = new Shape(1, 8, 8);
        try (AffineClassifier affine = AffineClassifier.random(4, shape, 4f, 3);
                NDManager manager = NDManager.newBaseManager()) {
            float[][] data = AffineClassifier.data(4, shape, 5);
            int[] labels = new int[4];
            float[] flat = new float[4 * 64];
            for (int i = 0; i < 4; i++) {
                labels[i] = affine.predict(data[i]);
                System.arraycopy(data[i], 0, flat, i * 64, 64);
            }
            List<Integer> live = new ArrayList<>();
            Classifier watched = NoGradientClassifier.of("affine", shape, 4, x -> {
                live.add(manager.getManagedArrays().size());
                return affine.logits(x);
            });
            NDArray x = manager.create(flat, new Shape(4, 1, 8, 8));
            Misclassification criterion = new Misclassification(manager.create(labels));
            int before = manager.getManagedArrays().size();
            // ε far below every sample's distance to the boundary: no sample breaks, all 5000 steps run
            AttackResult result = Square.of(Norm.LINF, 1e-4f, 0).run(watched, x, criterion);
            assertThat(result.successes()).isZero();
            assertThat(live).hasSize(5000 + 3);
            assertThat(live.get(live.size() - 2)).as("live arrays at the last step vs the tenth")
                    .isEqualTo(live.get(10));
            assertThat(manager.getManagedArrays()).hasSize(before);
        }
    }

    @Test
    void pHalvesAtAutoAttacksIterations() {
        assertThat(Square.fraction(0.8f, 0)).isCloseTo(0.8, Offset.offset(1e-7));
        assertThat(Square.fraction(0.8f, 10)).isCloseTo(0.8, Offset.offset(1e-7));
        assertThat(Square.fraction(0.8f, 11)).isCloseTo(0.4, Offset.offset(1e-7));
        assertThat(Square.fraction(0.8f, 50)).isCloseTo(0.4, Offset.offset(1e-7));
        assertThat(Square.fraction(0.8f, 51)).isCloseTo(0.2, Offset.offset(1e-7));
        assertThat(Square.fraction(0.8f, 4999)).isCloseTo(0.8 / 128, Offset.offset(1e-7));
        assertThat(Square.fraction(0.8f, 9000)).isCloseTo(0.8 / 512, Offset.offset(1e-7));
        SquarePatterns mnist = new SquarePatterns(1, 28, 28, 0.3f, Bounds.UNIT);
        assertThat(mnist.linfSide(0.8)).isEqualTo(25); // round(sqrt(0.8 * 784)) = round(25.04)
        assertThat(mnist.linfSide(1.0)).isEqualTo(27); // at most H - 1
        assertThat(mnist.linfSide(0.8 / 512)).isEqualTo(1);
        assertThat(mnist.l2Side(0.8 / 16)).isEqualTo(7); // round(6.26) = 6, made odd
        assertThat(mnist.l2Side(0.8 / 512)).isEqualTo(3); // at least 3
    }

    @Test
    void doubleSquaresAreUnitNormWithOppositeHalvesPeakingAtTheirCentres() {
        for (int side : new int[] {3, 4, 7, 10}) {
            double[] pattern = SquarePatterns.doubleSquare(side);
            double squared = 0;
            for (double v : pattern) {
                squared += v * v;
            }
            assertThat(squared).isCloseTo(1.0, Offset.offset(1e-9));
            int upper = side / 2;
            for (int r = 0; r < side; r++) {
                for (int c = 0; c < side; c++) {
                    double v = pattern[r * side + c];
                    assertThat(r < upper ? v > 0 : v < 0).as("side %d (%d, %d)", side, r, c).isTrue();
                }
            }
            // the lower half peaks at its centre ((side - upper) / 2, side / 2)
            int peakRow = upper + (side - upper) / 2;
            double peak = pattern[peakRow * side + side / 2];
            for (int r = upper; r < side; r++) {
                for (int c = 0; c < side; c++) {
                    assertThat(pattern[r * side + c]).isGreaterThanOrEqualTo(peak);
                }
            }
        }
        // eta_rectangles(1, 3) of AutoAttack: [0.25, 1.25, 0.25] before normalization
        double[] row = SquarePatterns.pyramid(1, 3);
        double norm = Math.sqrt(0.25 * 0.25 * 2 + 1.25 * 1.25);
        assertThat(row).containsExactly(new double[] {0.25 / norm, 1.25 / norm, 0.25 / norm}, Offset.offset(1e-12));
    }

    @Test
    void registryAndConfigurationErrors() {
        Attack square = AttackRegistry.create("square", new AttackOptions(Norm.L2, 0.5f, 300, 7,
                Map.of("pInit", "0.3", "restarts", "2")));
        assertThat(square).isEqualTo(new Square(Norm.L2, 0.5f, 300, 0.3f, 2, 7));
        assertThat(square.settings()).containsOnlyKeys("norm", "epsilon", "steps", "pInit", "restarts", "seed");
        assertThat(AttackRegistry.create("square", new AttackOptions(Norm.LINF, 0.03f, null, 0, Map.of())))
                .isEqualTo(Square.of(Norm.LINF, 0.03f, 0));
        assertThatThrownBy(() -> new Square(Norm.L1, 1f, 10, 0.8f, 1, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("linf and l2");
        assertThatThrownBy(() -> new Square(Norm.LINF, 0.1f, 10, 0f, 1, 0)).hasMessageContaining("pInit");
        assertThatThrownBy(() -> new Square(Norm.LINF, 0.1f, 0, 0.8f, 1, 0)).hasMessageContaining("steps");
        assertThatThrownBy(() -> new Square(Norm.LINF, 2f, 10, 0.8f, 1, 0)).hasMessageContaining("out of range");
        assertThatThrownBy(() -> AttackRegistry.create("square", new AttackOptions(Norm.LINF, null, null, 0,
                Map.of()))).hasMessageContaining("needs an epsilon");
        assertThatThrownBy(() -> AttackRegistry.create("square", new AttackOptions(Norm.LINF, 0.1f, null, 0,
                Map.of("p_init", "0.5")))).hasMessageContaining("has no setting p_init");
    }
}
