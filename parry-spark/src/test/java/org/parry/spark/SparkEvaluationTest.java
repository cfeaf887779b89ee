package org.parry.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.attack.AttackOptions;
import org.parry.attack.AttackRegistry;
import org.parry.data.ImageDataset;
import org.parry.data.SyntheticDataset;
import org.parry.eval.EvaluationListener;
import org.parry.eval.EvaluationRunner;
import org.parry.eval.EvaluationSettings;
import org.parry.eval.SanityLevel;
import org.parry.eval.Suite;
import org.parry.eval.SuiteAttack;
import org.parry.model.BlockClassifier;
import org.parry.model.ModelCard;
import org.parry.model.ModelSource;
import org.parry.model.Normalization;
import org.parry.model.SavedModel;
import org.parry.norm.Norm;
import org.parry.report.EvaluationJob;
import org.parry.report.ReportWriter;
import org.parry.train.StandardObjective;
import org.parry.train.Trainer;
import org.parry.train.TrainingListener;
import org.parry.train.TrainingSettings;

/**
 * The evaluation on Spark in local mode against the same evaluation in this process: the same
 * report.json (timings aside) for two partitionings, after a task killed on its first attempt, and
 * after a job that died and was resumed from its journal.
 */
class SparkEvaluationTest {

    /** 64 samples in batches of 8: 8 units per attack and ε, 32 suite units in all. */
    private static final int N = 64;
    private static final int BATCH = 8;

    @TempDir
    static Path shared;

    private static ModelSource source;
    private static ImageDataset data;
    private static JsonNode local;

    /** Units run on executors, and units made to fail, by the test's attack factory. */
    static final AtomicInteger executed = new AtomicInteger();
    static final AtomicInteger injected = new AtomicInteger();
    /** The seed of the unit that fails (0: none), and whether it fails on every attempt. */
    static volatile long failingSeed;
    static volatile boolean failAlways;

    @BeforeAll
    static void trainAndEvaluateLocally() throws IOException {
        ImageDataset train = SyntheticDataset.generate(1000, 10, 1, 28, 28, 1);
        ModelCard card = new ModelCard(ModelCard.FORMAT, "small-cnn", 8, "relu", 1,
                new int[] {1, 28, 28}, train.classNames(), Normalization.of(train), train.name(),
                null, null, null, 0, "test", null);
        try (BlockClassifier model = SavedModel.create(card, 0)) {
            new Trainer(TrainingSettings.builder().optEpochs(2).optBatchSize(64)
                    .optLearningRate(2e-3f).build(), new StandardObjective(), TrainingListener.NONE)
                    .fit(model, train, null, false);
            SavedModel.save(shared.resolve("model"), model, card);
        }
        source = ModelSource.of(shared.resolve("model"));
        data = SyntheticDataset.generate(N, 10, 1, 28, 28, 2);
        local = evaluate(shared.resolve("local"), EvaluationRunner.LOCAL, false);
    }

    @BeforeEach
    void noFaults() {
        executed.set(0);
        injected.set(0);
        failingSeed = 0;
        failAlways = false;
    }

    @Test
    void sameReportForTwoPartitionings(@TempDir Path dir) throws IOException {
        for (int partitions : new int[] {1, 3}) {
            try (SparkCluster cluster = new SparkCluster("local[2]", partitions)) {
                JsonNode spark = evaluate(dir.resolve("p" + partitions), cluster.runner(source), false);
                assertThat(withoutTimings(spark)).as(partitions + " partitions")
                        .isEqualTo(withoutTimings(local));
            }
        }
        assertThat(executed.get()).isEqualTo(2 * suiteUnits(local));
        // the evaluation did break samples, so equality says something
        assertThat(local.get("robust_accuracy").get(1).asDouble())
                .isLessThan(local.get("clean_accuracy").asDouble());
    }

    @Test
    void aTaskKilledOnItsFirstAttemptIsRetriedToTheSameNumbers(@TempDir Path dir)
            throws IOException {
        failingSeed = unitSeed(1, 1, 2);
        // local[2,2]: two cores and two attempts per task (local mode ignores spark.task.maxFailures)
        try (SparkCluster cluster = new SparkCluster("local[2,2]", 4)) {
            JsonNode spark = evaluate(dir, cluster.runner(source), false);
            assertThat(withoutTimings(spark)).isEqualTo(withoutTimings(local));
        }
        assertThat(injected.get()).isEqualTo(1);
        assertThat(executed.get()).isGreaterThan(suiteUnits(local));
    }

    @Test
    void aJobThatDiedResumesWithoutRedoingJournaledUnits(@TempDir Path dir) throws IOException {
        failingSeed = unitSeed(1, 0, 3); // FGSM at the second ε, on the fourth batch
        failAlways = true;
        try (SparkCluster cluster = new SparkCluster("local[2]", 8)) {
            assertThatThrownBy(() -> evaluate(dir, cluster.runner(source), false))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("the Spark job failed")
                    .hasMessageContaining("injected fault")
                    .hasMessageContaining("--resume");
            long journaled = journaledSuiteUnits(dir);
            // every unit of the first ε finished before the job of the second ε's FGSM died
            assertThat(journaled).isGreaterThanOrEqualTo(unitsAt(local, 0.05))
                    .isLessThan(suiteUnits(local));
            failAlways = false;
            failingSeed = 0;
            executed.set(0);
            JsonNode resumed = evaluate(dir, cluster.runner(source), true);
            assertThat(withoutTimings(resumed)).isEqualTo(withoutTimings(local));
            assertThat(executed.get()).isEqualTo(suiteUnits(local) - journaled);
        }
    }

    @Test
    void anAttackThatCannotTravelIsRefusedBeforeTheJob(@TempDir Path dir) throws IOException {
        Object notSerializable = new Object();
        Suite suite = new Suite("mine", List.of(SuiteAttack.of("mine", (norm, epsilon, seed) -> {
            notSerializable.hashCode();
            return AttackRegistry.create("fgsm", new AttackOptions(norm, epsilon, null, seed,
                    Map.of()));
        })));
        try (SparkCluster cluster = new SparkCluster("local[1]", 1);
                ModelSource.Opened model = source.open(data.imageShape())) {
            EvaluationSettings settings = new EvaluationSettings(suite, Norm.LINF,
                    new float[] {0.2f}, 3, BATCH);
            assertThatThrownBy(() -> new EvaluationJob(model.classifier(), source.file(), data,
                    settings, dir, SanityLevel.OFF).run(false, EvaluationListener.NONE,
                    cluster.runner(source)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cannot be sent to Spark executors")
                    .hasMessageContaining("java.lang.Object");
        }
    }

    // ---- helpers ----------------------------------------------------------------------------

    /** FGSM then PGD-5, at ε 0.05 and 0.2, seed 3; the factory counts and injects faults. */
    private static EvaluationSettings settings() {
        return new EvaluationSettings(new Suite("fgsm,pgd", List.of(
                SuiteAttack.of("fgsm", (norm, epsilon, seed) -> made("fgsm", norm, epsilon, seed)),
                SuiteAttack.of("pgd", (norm, epsilon, seed) -> made("pgd", norm, epsilon, seed)))),
                Norm.LINF, new float[] {0.05f, 0.2f}, 3, BATCH);
    }

    private static org.parry.attack.Attack made(String name, Norm norm, float epsilon, long seed) {
        TaskContext task = TaskContext.get();
        if (task != null) { // on an executor, running a unit
            executed.incrementAndGet();
            if (seed == failingSeed && (failAlways || task.attemptNumber() == 0)) {
                injected.incrementAndGet();
                throw new IllegalStateException("injected fault in unit seed " + seed);
            }
        }
        return AttackRegistry.create(name, new AttackOptions(norm, epsilon,
                name.equals("pgd") ? 5 : null, seed, Map.of()));
    }

    /** The seed of unit (ε, attack, batch) under {@link #settings()}, as EvaluationUnit makes it. */
    private static long unitSeed(int epsilon, int attack, int batch) {
        return new org.parry.eval.EvaluationUnit(epsilon, attack, batch, new long[0])
                .seed(settings());
    }

    private static JsonNode evaluate(Path dir, EvaluationRunner runner, boolean resume)
            throws IOException {
        try (ModelSource.Opened model = source.open(data.imageShape())) {
            new EvaluationJob(model.classifier(), source.file(), data, settings(), dir,
                    SanityLevel.OFF).run(resume, EvaluationListener.NONE, runner);
        }
        return SavedModel.json().readTree(dir.resolve(ReportWriter.JSON).toFile());
    }

    /** Units of the suite's attacks the report says ran (each ε × attack: ceil(attacked / 8)). */
    private static int suiteUnits(JsonNode report) {
        int units = 0;
        for (JsonNode attack : report.get("attacks")) {
            units += (attack.get("attacked").asInt() + BATCH - 1) / BATCH;
        }
        return units;
    }

    private static int unitsAt(JsonNode report, double epsilon) {
        int units = 0;
        for (JsonNode attack : report.get("attacks")) {
            if (Math.abs(attack.get("epsilon").asDouble() - epsilon) < 1e-6) {
                units += (attack.get("attacked").asInt() + BATCH - 1) / BATCH;
            }
        }
        return units;
    }

    private static long journaledSuiteUnits(Path dir) throws IOException {
        return Files.readAllLines(dir.resolve("journal.jsonl")).stream().skip(1)
                .filter(line -> !line.isBlank())
                .map(line -> {
                    try {
                        return SavedModel.json().readTree(line);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                })
                .filter(entry -> entry.get("attack").asInt() < 2).count();
    }

    /** The report without wall times and the run's time span. */
    private static JsonNode withoutTimings(JsonNode report) {
        JsonNode copy = report.deepCopy();
        strip(copy);
        return copy;
    }

    private static void strip(JsonNode node) {
        if (node instanceof ObjectNode object) {
            object.remove(List.of("seconds", "started_at", "finished_at"));
        }
        node.forEach(SparkEvaluationTest::strip);
    }
}
