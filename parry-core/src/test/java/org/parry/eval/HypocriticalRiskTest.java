package org.parry.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import org.parry.attack.AttackResult;
import org.parry.attack.Hypocritical;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.data.SyntheticDataset;
import org.parry.model.BlockClassifier;
import org.parry.model.ModelCard;
import org.parry.model.Normalization;
import org.parry.model.SavedModel;
import org.parry.norm.Norm;
import org.parry.testing.TestModels;

class HypocriticalRiskTest {

    @Test
    void countsFollowTheDefinitions() {
        int[] labels = {0, 1, 2, 3, 4, 5};
        int[] clean = {0, 1, 9, 9, 9, 5};
        int[] hyp = {0, 7, 2, 3, 9, 5};
        HypocriticalRisk risk = HypocriticalRisk.of(labels, clean, hyp);
        assertThat(risk.misclassified()).isEqualTo(3);
        assertThat(risk.fixed()).isEqualTo(2);
        assertThat(risk.flips()).isEqualTo(1);
        assertThat(risk.risk()).isEqualTo(2.0 / 3);
        assertThat(risk.unnormalizedRisk()).isEqualTo(2.0 / 6);
        assertThat(risk.cleanAccuracy()).isEqualTo(3.0 / 6);
        assertThat(risk.hypocriticalAccuracy()).isEqualTo(4.0 / 6);
        assertThatThrownBy(() -> HypocriticalRisk.of(labels, clean, new int[2]))
                .hasMessageContaining("same length");
    }

    /** An untrained ("naive") model hides far more of its mistakes than a trained one fixes. */
    @Test
    void falseFriendsMakeAnUntrainedModelLookAccurate() {
        ImageDataset test = TestModels.syntheticTest();
        ModelCard card = new ModelCard(ModelCard.FORMAT, "small-cnn", 8, "relu", 1, new int[] {1, 28, 28},
                test.classNames(), Normalization.of(test), test.name(), null, null, null, 0, "t", null);
        try (BlockClassifier naive = SavedModel.create(card, 1);
                NDManager manager = NDManager.newBaseManager()) {
            Batch batch = test.batch(manager, 0, 100);
            int[] labels = batch.y().toIntArray();
            int[] clean = naive.logits(batch.x()).argMax(1).toType(ai.djl.ndarray.types.DataType.INT32, false).toIntArray();
            AttackResult result = Hypocritical.of(Norm.LINF, 0.3f, 0)
                    .run(naive, batch.x(), new Misclassification(batch.y()));
            HypocriticalRisk risk = HypocriticalRisk.of(labels, clean, result.predictions());
            assertThat(risk.cleanAccuracy()).isLessThan(0.3);
            assertThat(risk.hypocriticalAccuracy()).isGreaterThan(0.9);
            assertThat(risk.risk()).isGreaterThan(0.9);
            assertThat(risk.flips()).isZero();
        }
    }
}
