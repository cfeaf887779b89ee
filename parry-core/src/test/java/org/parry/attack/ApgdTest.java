package org.parry.attack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.parry.criterion.Misclassification;
import org.parry.criterion.TargetedMisclassification;
import org.parry.data.Batch;
import org.parry.loss.AttackLoss;
import org.parry.norm.Norm;
import org.parry.testing.AffineClassifier;
import org.parry.testing.TestModels;

/**
 * APGD-CE, APGD-DLR and APGD-T (attacks.md §7.1, §7.2): the checkpoint schedule, the per-sample
 * step-size rule, exact robust sets on an affine model, strength against PGD on a small CNN,
 * feasibility, determinism and clear errors.
 */
class ApgdTest {

    private static final Shape SHAPE = new Shape(1, 8, 8);
    private static final int D = 64;
    private static final int N = 200;

    private static AffineClassifier affine;
    private static float[][] data;
    private static int[] labels;
    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        affine = AffineClassifier.random(4, SHAPE, 4f, 3);
        data = AffineClassifier.data(N, SHAPE, 4);
        labels = new int[N];
        for (int i = 0; i < N; i++) {
            labels[i] = affine.predict(data[i]);
        }
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
        affine.close();
    }

    private static NDArray affineBatch() {
        float[] flat = new float[N * D];
        for (int i = 0; i < N; i++) {
            System.arraycopy(data[i], 0, flat, i * D, D);
        }
        return manager.create(flat, new Shape(N, 1, 8, 8));
    }

    private static Misclassification affineLabels() {
        return new Misclassification(manager.create(labels));
    }

    private static float quantileDistance(double q, double quantile) {
        double[] distances = new double[N];
        for (int i = 0; i < N; i++) {
            distances[i] = affine.minimalDistance(data[i], labels[i], q);
        }
        Arrays.sort(distances);
        return (float) distances[(int) (N * quantile)];
    }

    @Test
    void checkpointsFollowThePaper() {
        // p = 0, 0.22, 0.41, 0.57, 0.70, 0.80, 0.87, 0.93, 0.99 (1.05 is past the end).
        assertThat(Apgd.checkpoints(100)).containsExactly(22, 41, 57, 70, 80, 87, 93, 99);
        assertThat(Apgd.checkpoints(50)).containsExactly(11, 21, 29, 35, 40, 44, 47, 50);
        assertThat(Apgd.checkpoints(3)).containsExactly(1, 2, 3);
        for (int steps : new int[] {1, 7, 10, 33, 250}) {
            int[] w = Apgd.checkpoints(steps);
            for (int j = 1; j < w.length; j++) {
                assertThat(w[j]).as("steps %d", steps).isGreaterThan(w[j - 1]);
            }
            assertThat(w).isNotEmpty();
            assertThat(w[0]).isGreaterThanOrEqualTo(1);
            assertThat(w[w.length - 1]).isLessThanOrEqualTo(steps);
        }
    }

    /** Collects each sample's step size per iteration of one run; NaN once it left the batch. */
    private static final class Trace implements Apgd.StepSizeTrace {
        final Map<Integer, float[][]> runs = new HashMap<>();
        final int size;
        final int steps;

        Trace(int size, int steps) {
            this.size = size;
            this.steps = steps;
        }

        @Override
        public void record(int run, int iteration, long[] positions, float[] stepSizes) {
            float[][] table = runs.computeIfAbsent(run, r -> {
                float[][] t = new float[size][steps];
                for (float[] row : t) {
                    Arrays.fill(row, Float.NaN);
                }
                return t;
            });
            for (int j = 0; j < positions.length; j++) {
                table[Math.toIntExact(positions[j])][iteration] = stepSizes[j];
            }
        }

        /**
         * Every trace starts at 2ε, never grows, and changes only by halving at the iteration
         * right after a checkpoint. Returns the number of halvings seen.
         */
        int check(float epsilon) {
            int[] checkpoints = Apgd.checkpoints(steps);
            int halvings = 0;
            for (float[][] table : runs.values()) {
                for (int sample = 0; sample < size; sample++) {
                    float[] eta = table[sample];
                    if (Float.isNaN(eta[0])) {
                        continue;
                    }
                    assertThat(eta[0]).isEqualTo(2f * epsilon);
                    for (int i = 1; i < steps && !Float.isNaN(eta[i]); i++) {
                        if (eta[i] != eta[i - 1]) {
                            int iteration = i;
                            assertThat(Arrays.stream(checkpoints).anyMatch(w -> w == iteration))
                                    .as("sample %d changed its step at iteration %d, not a checkpoint",
                                            sample, i).isTrue();
                            assertThat(eta[i]).as("sample %d iteration %d", sample, i)
                                    .isEqualTo(eta[i - 1] / 2f);
                            halvings++;
                        }
                    }
                }
            }
            return halvings;
        }
    }

    @Test
    void stepSizesAreHalvedPerSampleOnlyAtCheckpoints() {
        // ε at the 30% quantile: most samples stay robust for all 100 iterations.
        float epsilon = quantileDistance(1, 0.3);
        Apgd attack = Apgd.ce(Norm.LINF, epsilon);
        Trace trace = new Trace(N, 100);
        float[] whole = attack.run(affine, affineBatch(), affineLabels(), trace).adversarial();
        // On a linear model every robust sample reaches its best vertex early, then its loss
        // stalls: C1 halves its step at every checkpoint.
        assertThat(trace.check(epsilon)).as("halvings").isGreaterThan(N);

        // No state is shared across the batch: the first half attacked alone (same random starts,
        // which are drawn row by row) follows exactly the same trajectories and step sizes.
        int half = N / 2;
        Trace alone = new Trace(half, 100);
        NDArray firstHalf = affineBatch().get("0:" + half);
        float[] part = attack.run(affine, firstHalf,
                new Misclassification(manager.create(Arrays.copyOf(labels, half))), alone).adversarial();
        for (int i = 0; i < half; i++) {
            assertThat(alone.runs.get(0)[i]).as("sample %d step sizes", i)
                    .containsExactly(trace.runs.get(0)[i]);
        }
        for (int j = 0; j < half * D; j++) {
            assertThat(part[j]).isCloseTo(whole[j], org.assertj.core.data.Offset.offset(1e-6f));
        }
    }

    @Test
    void agreesWithTheExactRobustSetOfAnAffineModel() {
        for (Norm norm : new Norm[] {Norm.LINF, Norm.L2}) {
            double q = norm == Norm.LINF ? 1 : 2;
            float epsilon = quantileDistance(q, 0.5);
            AttackResult ce = Apgd.builder(norm, epsilon).optSeed(1).build()
                    .run(affine, affineBatch(), affineLabels());
            assertAgreesWithExact("apgd-ce " + norm.id(), q, epsilon, ce.success(), 0.98);
        }
        // The DLR variants on L∞ only, to keep the test short.
        float epsilon = quantileDistance(1, 0.5);
        AttackResult dlr = Apgd.builder(Norm.LINF, epsilon).optLoss(AttackLoss.DLR).optSeed(1).build()
                .run(affine, affineBatch(), affineLabels());
        assertAgreesWithExact("apgd-dlr linf", 1, epsilon, dlr.success(), 0.98);
        Trace trace = new Trace(N, 50);
        AttackResult targeted = ApgdTargeted.builder(Norm.LINF, epsilon).optSteps(50).optSeed(1).build()
                .run(affine, affineBatch(), affineLabels(), trace);
        assertAgreesWithExact("apgd-t linf", 1, epsilon, targeted.success(), 0.98);
        assertOneRoundPerTargetOnTheStillRobust(trace);
        trace.check(epsilon);
    }

    /** Soundness always (nothing provably robust is broken); completeness at the given rate. */
    private static void assertAgreesWithExact(String what, double q, float epsilon, boolean[] broken,
            double required) {
        int decided = 0;
        int agreed = 0;
        for (int i = 0; i < N; i++) {
            double distance = affine.minimalDistance(data[i], labels[i], q);
            if (Math.abs(distance - epsilon) < 1e-3 * epsilon) {
                continue; // on the boundary up to float32 rounding
            }
            boolean robust = distance > epsilon;
            assertThat(robust && broken[i]).as("%s broke sample %d, provably robust (%.5f > %.5f)",
                    what, i, distance, epsilon).isFalse();
            decided++;
            agreed += robust != broken[i] ? 1 : 0;
        }
        assertThat((double) agreed / decided).as("%s agreement with the exact robust set", what)
                .isGreaterThanOrEqualTo(required);
    }

    @Test
    void apgdCeIsAtLeastAsStrongAsPgd10OnTheSyntheticCnn() {
        try (NDManager local = NDManager.newBaseManager()) {
            Batch batch = TestModels.syntheticTest().batch(local, 0, 64);
            Misclassification criterion = new Misclassification(batch.y());
            float epsilon = 0.1f;
            AttackResult pgd = Pgd.builder(Norm.LINF, epsilon).optSteps(10).optSeed(1).build()
                    .run(TestModels.syntheticCnn(), batch.x(), criterion);
            Trace trace = new Trace(64, 100);
            AttackResult apgd = Apgd.builder(Norm.LINF, epsilon).optSeed(1).build()
                    .run(TestModels.syntheticCnn(), batch.x(), criterion, trace);
            int pgdRobust = pgd.size() - pgd.successes();
            int apgdRobust = apgd.size() - apgd.successes();
            assertThat(pgdRobust).as("PGD-10 leaves some robustness at this epsilon").isPositive();
            assertThat(apgdRobust).as("APGD-CE robust count vs PGD-10's %d", pgdRobust)
                    .isLessThanOrEqualTo(pgdRobust);
            assertThat(trace.check(epsilon)).as("halvings").isPositive();
        }
    }

    @Test
    void resultsAreFeasible() {
        try (NDManager local = NDManager.newBaseManager()) {
            Batch batch = TestModels.syntheticTest().batch(local, 0, 16);
            Misclassification criterion = new Misclassification(batch.y());
            Attack[] attacks = {
                Apgd.builder(Norm.LINF, 0.05f).optSteps(10).build(),
                Apgd.builder(Norm.L2, 1f).optSteps(10).optLoss(AttackLoss.DLR).build(),
                ApgdTargeted.builder(Norm.LINF, 0.05f).optSteps(5).optTargets(2).build(),
                ApgdTargeted.builder(Norm.L2, 1f).optSteps(5).optTargets(2).build(),
            };
            for (Attack attack : attacks) {
                Norm norm = Norm.parse((String) attack.settings().get("norm"));
                float epsilon = (Float) attack.settings().get("epsilon");
                AttackResult result = attack.run(TestModels.syntheticCnn(), batch.x(), criterion);
                NDArray adversarial = result.adversarial(local);
                assertThat(adversarial.isNaN().any().getBoolean()).as("%s NaN", attack).isFalse();
                assertThat(adversarial.min().getFloat()).isGreaterThanOrEqualTo(0f);
                assertThat(adversarial.max().getFloat()).isLessThanOrEqualTo(1f);
                float[] distance = norm.distance(adversarial, batch.x()).toFloatArray();
                for (float d : distance) {
                    assertThat(d).as("%s in the ball", attack).isLessThanOrEqualTo(epsilon * (1 + 1e-5f) + 1e-6f);
                }
                assertThat(result.successes()).as("%s breaks something", attack.name()).isPositive();
            }
        }
    }

    @Test
    void sameSeedSameResultOtherSeedOtherStart() {
        float epsilon = quantileDistance(1, 0.5);
        Apgd attack = Apgd.builder(Norm.LINF, epsilon).optSteps(20).optRestarts(2).optSeed(7).build();
        float[] first = attack.run(affine, affineBatch(), affineLabels()).adversarial();
        float[] second = attack.run(affine, affineBatch(), affineLabels()).adversarial();
        assertThat(second).containsExactly(first);
        float[] other = Apgd.builder(Norm.LINF, epsilon).optSteps(20).optRestarts(2).optSeed(8).build()
                .run(affine, affineBatch(), affineLabels()).adversarial();
        assertThat(other).isNotEqualTo(first);
    }

    @Test
    void targetsAreTheClassesOfTheSortedCleanLogits() {
        NDArray logits = manager.create(new float[] {
            0.1f, 3f, -2f, 7f, 0.5f,
            -1f, -5f, -3f, -4f, -2f,
        }, new Shape(2, 5));
        assertThat(ApgdTargeted.targetClasses(logits, 1).toLongArray()).containsExactly(3, 0);
        assertThat(ApgdTargeted.targetClasses(logits, 2).toLongArray()).containsExactly(1, 4);
        assertThat(ApgdTargeted.targetClasses(logits, 3).toLongArray()).containsExactly(4, 2);
        assertThat(ApgdTargeted.targetClasses(logits, 5).toLongArray()).containsExactly(2, 1);
        assertThatThrownBy(() -> ApgdTargeted.targetClasses(logits, 6)).hasMessageContaining("rank");
    }

    /** 9 targets capped at K - 1 = 3 rounds of one restart, each on the samples still robust. */
    private static void assertOneRoundPerTargetOnTheStillRobust(Trace trace) {
        assertThat(trace.runs.keySet()).containsExactlyInAnyOrder(0, 1, 2);
        int previous = N;
        for (int run = 0; run < 3; run++) {
            int attacked = 0;
            for (int i = 0; i < N; i++) {
                if (Float.isNaN(trace.runs.get(run)[i][0])) {
                    continue;
                }
                attacked++;
                // A sample leaves a run early only when it is broken; broken samples are never
                // attacked again.
                for (int earlier = 0; earlier < run; earlier++) {
                    float[] eta = trace.runs.get(earlier)[i];
                    assertThat(Float.isNaN(eta[0]) || !Float.isNaN(eta[eta.length - 1]))
                            .as("sample %d attacked in run %d after being broken in run %d", i, run, earlier)
                            .isTrue();
                }
            }
            assertThat(attacked).isLessThanOrEqualTo(previous);
            previous = attacked;
        }
    }

    @Test
    void tooFewClassesAndOtherMisuseGiveClearErrors() {
        Shape small = new Shape(1, 2, 2);
        NDArray x = manager.full(new Shape(2, 1, 2, 2), 0.5f);
        Misclassification criterion = new Misclassification(manager.create(new int[] {0, 1}));
        try (AffineClassifier two = AffineClassifier.random(2, small, 1f, 1);
                AffineClassifier three = AffineClassifier.random(3, small, 1f, 1)) {
            assertThatThrownBy(() -> Apgd.dlr(Norm.LINF, 0.1f).run(two, x, criterion))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("apgd-dlr").hasMessageContaining("at least 3 classes")
                    .hasMessageContaining("has 2").hasMessageContaining("apgd-ce");
            assertThatThrownBy(() -> ApgdTargeted.of(Norm.LINF, 0.1f).run(three, x, criterion))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("apgd-t").hasMessageContaining("at least 4 classes")
                    .hasMessageContaining("has 3");
            assertThatThrownBy(() -> ApgdTargeted.of(Norm.LINF, 0.1f).run(three, x,
                    new TargetedMisclassification(criterion.labels(), criterion.labels())))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Misclassification");
            assertThat(Apgd.ce(Norm.LINF, 0.1f).run(two, x, criterion).size()).isEqualTo(2);
        }
        assertThatThrownBy(() -> Apgd.ce(Norm.L1, 1f)).hasMessageContaining("linf and l2");
        assertThatThrownBy(() -> Apgd.builder(Norm.LINF, 0.1f).optRho(0f).build())
                .hasMessageContaining("rho");
        assertThatThrownBy(() -> ApgdTargeted.builder(Norm.LINF, 0.1f).optTargets(0).build())
                .hasMessageContaining("targets");
    }

    @Test
    void registryReadsTheSettings() {
        Attack ce = AttackRegistry.create("apgd-ce", new AttackOptions(Norm.L2, 0.5f, null, 4,
                Map.of("restarts", "3")));
        assertThat(ce).isEqualTo(Apgd.builder(Norm.L2, 0.5f).optRestarts(3).optSeed(4).build());
        assertThat(ce.name()).isEqualTo("apgd-ce");
        assertThat(ce.settings()).containsKeys("norm", "epsilon", "loss", "steps", "restarts", "rho", "seed");
        Attack dlr = AttackRegistry.create("apgd-dlr", new AttackOptions(Norm.LINF, 0.1f, 50, 0, Map.of()));
        assertThat(dlr).isEqualTo(Apgd.builder(Norm.LINF, 0.1f).optLoss(AttackLoss.DLR).optSteps(50).build());
        assertThat(dlr.name()).isEqualTo("apgd-dlr");
        Attack t = AttackRegistry.create("apgd-t", new AttackOptions(Norm.LINF, 0.1f, null, 0,
                Map.of("targets", "3", "rho", "0.5")));
        assertThat(t).isEqualTo(ApgdTargeted.builder(Norm.LINF, 0.1f).optTargets(3).optRho(0.5f).build());
        assertThat(t.settings()).containsEntry("targets", 3).containsEntry("steps", 100);
    }
}
