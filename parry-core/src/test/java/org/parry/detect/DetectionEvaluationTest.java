package org.parry.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.attack.Attack;
import org.parry.attack.AttackOptions;
import org.parry.attack.AttackRegistry;
import org.parry.data.ImageDataset;
import org.parry.data.SyntheticDataset;
import org.parry.model.BlockClassifier;
import org.parry.model.ModelCard;
import org.parry.model.Normalization;
import org.parry.model.SavedModel;
import org.parry.norm.Norm;
import org.parry.testing.TestModels;

/**
 * The detection harness on the synthetic CNN with the baseline detector: metrics consistent with
 * their definitions, the detector-aware attack cutting the detection rate of the oblivious one,
 * and a calibrated detector saved and loaded like a model.
 */
class DetectionEvaluationTest {

    private static final BlockClassifier MODEL = TestModels.syntheticCnn();

    private static Attack attack(String name, float epsilon, Integer steps) {
        return AttackRegistry.create(name, new AttackOptions(Norm.LINF, epsilon, steps, 1, Map.of()));
    }

    private static CalibratedDetector baseline(double rate) {
        ImageDataset fitting = SyntheticDataset.generate(300, 10, 1, 28, 28, 11);
        ImageDataset validation = SyntheticDataset.generate(400, 10, 1, 28, 28, 12);
        return CalibratedDetector.fit("max-softmax", FitData.clean(MODEL, fitting, 0), Map.of(),
                validation, rate, 100);
    }

    @Test
    void theAdaptiveAttackEvadesWhatTheObliviousOneLeavesDetected() {
        try (CalibratedDetector detector = baseline(0.05)) {
            List<String> log = new ArrayList<>();
            DetectionSummary summary = new DetectionEvaluation(MODEL, List.of(detector),
                    DetectionEvaluation.Settings.defaults(), log::add)
                    .run(TestModels.syntheticTest(), List.of(attack("fgsm", 0.15f, null),
                            attack("pgd", 0.15f, 10)), List.of(attack("pgd", 0.15f, 10)));
            log.forEach(System.err::println);
            assertThat(summary.results()).hasSize(3);
            DetectionResult fgsm = summary.results().get(0);
            DetectionResult oblivious = summary.results().get(1);
            DetectionResult adaptive = summary.results().get(2);
            for (DetectionResult r : summary.results()) {
                System.err.printf("%s %s: AUC %.3f, TPR@5%% %.3f, DR %.3f of %d, clean FPR %.3f,"
                        + " guarded %.3f, undefended %.3f%n", r.attack(), r.mode(), r.auc(),
                        r.tprAt5(), r.detectionRate(), r.successful(), r.cleanFpr(),
                        r.guardedAccuracy(), r.undefendedAccuracy());
                assertThat(r.cleanFpr()).isLessThan(0.15);
                assertThat(r.detectionRateAll()).isBetween(0.0, 1.0);
                assertThat(r.roc().fpr()).isNotEmpty();
            }
            assertThat(fgsm.mode()).isEqualTo(DetectionResult.OBLIVIOUS);
            assertThat(oblivious.successful()).as("PGD breaks the model").isGreaterThan(100);
            assertThat(oblivious.guardedAccuracy()).isGreaterThanOrEqualTo(
                    oblivious.undefendedAccuracy() - oblivious.cleanFpr());
            assertThat(adaptive.mode()).isEqualTo(DetectionResult.ADAPTIVE);
            assertThat(adaptive.detectionRate()).as("detector-aware PGD evades the baseline")
                    .isLessThan(oblivious.detectionRate() - 0.2).isLessThan(0.2);
            assertThat(adaptive.guardedAccuracy()).isLessThan(oblivious.guardedAccuracy());
        }
    }

    @Test
    void aCalibratedDetectorIsSavedAndLoadedLikeAModelAndRefusesAnotherModel(@TempDir Path dir)
            throws IOException {
        try (CalibratedDetector detector = baseline(0.1)) {
            detector.save(dir);
            try (CalibratedDetector loaded = CalibratedDetector.load(dir, MODEL)) {
                assertThat(loaded.threshold()).isEqualTo(detector.threshold());
                assertThat(loaded.card().falsePositiveRate()).isEqualTo(0.1);
                assertThat(loaded.card().validationImages()).isEqualTo(400);
                ImageDataset test = TestModels.syntheticTest();
                assertThat(CalibratedDetector.scores(loaded.detector(), test, 64))
                        .containsExactly(CalibratedDetector.scores(detector.detector(), test, 64));
            }
            ModelCard card = new ModelCard(ModelCard.FORMAT, "small-cnn", 8, "relu", 1,
                    new int[] {1, 28, 28}, TestModels.syntheticTest().classNames(),
                    Normalization.of(TestModels.syntheticTest()), "synthetic", null, null, null, 0,
                    "test", null);
            try (BlockClassifier other = SavedModel.create(card, 5)) {
                assertThatThrownBy(() -> CalibratedDetector.load(dir, other))
                        .isInstanceOf(IOException.class)
                        .hasMessageContaining("was fitted for model")
                        .hasMessageContaining("fit a detector for this model");
            }
        }
        assertThatThrownBy(() -> CalibratedDetector.load(dir.resolve("none"), MODEL))
                .hasMessageContaining("not a fitted detector");
    }

    @Test
    void unknownDetectorsAndSettingsAreOneLineErrors() {
        ImageDataset data = TestModels.syntheticTest();
        assertThatThrownBy(() -> DetectorRegistry.fit("nope", FitData.clean(MODEL, data, 0),
                Map.of())).hasMessageStartingWith("unknown detector 'nope'; known: max-softmax");
        assertThatThrownBy(() -> DetectorRegistry.fit("max-softmax", FitData.clean(MODEL, data, 0),
                Map.of("k", "3"))).hasMessage("detector 'max-softmax' has no setting [k]; its"
                + " settings are []");
        assertThatThrownBy(() -> baseline(0)).hasMessageContaining("must be in (0, 1)");
    }
}
