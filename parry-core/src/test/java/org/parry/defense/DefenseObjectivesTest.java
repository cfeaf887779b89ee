package org.parry.defense;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.parry.data.Batch;
import org.parry.model.BlockClassifier;
import org.parry.model.Classifier;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.model.zoo.ClassifierHead;
import org.parry.train.EpochMetrics;
import org.parry.train.PreparedBatch;
import org.parry.train.StandardObjective;
import org.parry.train.TrainingNetwork;
import org.parry.train.TrainingObjective;

/**
 * Every registered defense trains and lowers its loss, and no defense's training attack leaves a
 * gradient in the parameters (defenses.md §0.2).
 */
class DefenseObjectivesTest {

    private static final Shape IMAGE = new Shape(1, 28, 28);

    @TempDir
    static Path models;

    private static Path source;
    private static Path teacher;

    @BeforeAll
    static void trainHelpers() throws IOException {
        source = DefenseTraining.saved(models.resolve("source"), "mlp", new StandardObjective(), 1);
        teacher = DefenseTraining.saved(models.resolve("teacher"), "small-cnn",
                new TemperatureTraining(20f), 2);
    }

    private static TrainingObjective create(String name) {
        Map<String, String> settings = new LinkedHashMap<>();
        switch (name) {
            case "ensemble-at" -> settings.put("sources", source.toString());
            case "distillation" -> {
                settings.put("teacher", teacher.toString());
                settings.put("temperature", "20");
            }
            // a fixed budget: the dynamic one strengthens the attack every epoch, so the
            // losses of different epochs would not be comparable
            case "fat" -> settings.put("tau", "2");
            case "fgsm-rs-tricks" -> {
                settings.put("start", "grid-mask");
                settings.put("firstLayerPenalty", "0.01");
            }
            default -> { }
        }
        String registered = name.equals("fgsm-rs-tricks") ? "fgsm-rs" : name;
        return DefenseRegistry.create(registered, new DefenseOptions(null, settings), IMAGE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"standard", "fgsm-mixed", "pgd-at", "fgsm-rs", "fgsm-rs-tricks", "fat",
            "trades", "ensemble-at", "distillation-teacher", "distillation"})
    void everyDefenseTrainsAndLowersItsLoss(String name) {
        try (TrainingObjective objective = create(name);
                BlockClassifier model = DefenseTraining.freshModel(3)) {
            List<EpochMetrics> history = DefenseTraining.train(model, objective,
                    DefenseTraining.TRAIN, 3);
            assertThat(history.get(2).loss()).as(name + " loss by epoch " + history)
                    .isLessThan(history.get(0).loss());
            assertThat(history.get(2).loss()).isFinite();
        }
    }

    /**
     * One training step preceded by the objective's attack gives bit-identical parameters to the
     * same step fed the same adversarial batch without running any attack.
     */
    @ParameterizedTest
    @ValueSource(strings = {"fgsm-mixed", "pgd-at", "fgsm-rs", "fat", "trades", "ensemble-at",
            "distillation", "spat"})
    void theTrainingAttackLeavesNoGradientInTheParameters(String name) {
        List<float[][]> recorded = new ArrayList<>();
        byte[] attacked;
        byte[] replayed;
        try (TrainingObjective objective = create(name)) {
            try (BlockClassifier model = DefenseTraining.freshModel(5, options(name))) {
                DefenseTraining.train(model, new Recording(objective, recorded),
                        DefenseTraining.TRAIN.first(64), 1);
                attacked = DefenseTraining.weights(model);
            }
            try (BlockClassifier model = DefenseTraining.freshModel(5, options(name))) {
                DefenseTraining.train(model, new Replaying(objective, recorded),
                        DefenseTraining.TRAIN.first(64), 1);
                replayed = DefenseTraining.weights(model);
            }
        }
        assertThat(recorded).hasSize(1);
        assertThat(replayed).isEqualTo(attacked);
    }

    /** The architecture a defense trains: SPAT's needs the cosine head. */
    private static ArchitectureOptions options(String name) {
        ArchitectureOptions options = ArchitectureOptions.ofWidth(8);
        return name.equals("spat") ? options.withHead(ClassifierHead.COSINE,
                ArchitectureOptions.DEFAULT_COSINE_SCALE) : options;
    }

    @Test
    void unknownSettingsAndMisplacedEpsilonAreClearErrors() {
        assertThatThrownBy(() -> DefenseRegistry.create("pgd-at",
                new DefenseOptions(null, Map.of("step", "3")), IMAGE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no setting(s) [step]").hasMessageContaining("steps");
        assertThatThrownBy(() -> DefenseRegistry.create("standard",
                new DefenseOptions(0.1f, Map.of()), IMAGE))
                .hasMessageContaining("takes no --eps");
        assertThatThrownBy(() -> DefenseRegistry.create("pgd-at",
                new DefenseOptions(1.5f, Map.of()), IMAGE))
                .hasMessageContaining("--eps must be in (0, 1]");
        assertThatThrownBy(() -> DefenseRegistry.create("madry", new DefenseOptions(null, Map.of()),
                IMAGE)).hasMessageContaining("unknown defense 'madry'").hasMessageContaining("pgd-at");
        assertThatThrownBy(() -> DefenseRegistry.create("ensemble-at",
                new DefenseOptions(null, Map.of()), IMAGE)).hasMessageContaining("sources=");
        assertThatThrownBy(() -> DefenseRegistry.create("fgsm-mixed",
                new DefenseOptions(null, Map.of("labels", "guessed")), IMAGE))
                .hasMessageContaining("unknown label choice 'guessed'");
    }

    @Test
    void settingsRecordEveryDefault() {
        try (TrainingObjective objective = create("pgd-at")) {
            assertThat(objective.settings()).containsEntry("epsilon", 0.1f)
                    .containsEntry("stepSize", 0.025f).containsEntry("steps", 10)
                    .containsEntry("labels", "true");
        }
        try (TrainingObjective objective = create("fgsm-mixed")) {
            assertThat(objective.settings()).containsEntry("cleanWeight", 0.5f)
                    .containsEntry("labels", "predicted");
        }
    }

    /** Runs the objective and keeps a copy of every batch it prepared. */
    private record Recording(TrainingObjective objective, List<float[][]> recorded)
            implements TrainingObjective {

        @Override
        public String name() {
            return objective.name();
        }

        @Override
        public void startEpoch(int epoch, int epochs) {
            objective.startEpoch(epoch, epochs);
        }

        @Override
        public PreparedBatch prepare(Classifier model, Batch batch) {
            PreparedBatch prepared = objective.prepare(model, batch);
            recorded.add(new float[][] {
                    prepared.adversarial() == null ? null : prepared.adversarial().toFloatArray(),
                    prepared.targets() == null ? null : prepared.targets().toFloatArray()});
            return prepared;
        }

        @Override
        public StepLoss loss(TrainingNetwork network, PreparedBatch prepared) {
            return objective.loss(network, prepared);
        }
    }

    /** Feeds the recorded batches to the objective's loss without running its attack. */
    private record Replaying(TrainingObjective objective, List<float[][]> recorded)
            implements TrainingObjective {

        @Override
        public String name() {
            return objective.name();
        }

        @Override
        public void startEpoch(int epoch, int epochs) {
            objective.startEpoch(epoch, epochs);
        }

        @Override
        public PreparedBatch prepare(Classifier model, Batch batch) {
            float[][] arrays = recorded.get(0);
            NDManager manager = batch.x().getManager();
            NDArray adversarial = arrays[0] == null ? null
                    : manager.create(arrays[0], batch.x().getShape());
            NDArray targets = arrays[1] == null ? null
                    : manager.create(arrays[1], new Shape(batch.size(), model.numClasses()));
            return new PreparedBatch(batch.x(), batch.y(), adversarial, targets);
        }

        @Override
        public StepLoss loss(TrainingNetwork network, PreparedBatch prepared) {
            return objective.loss(network, prepared);
        }
    }
}
