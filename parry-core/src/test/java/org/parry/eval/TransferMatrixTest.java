package org.parry.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.parry.attack.Attack;
import org.parry.attack.Fgsm;
import org.parry.attack.RandFgsm;
import org.parry.attack.TransferAttack;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.model.Classifier;
import org.parry.model.NoGradientClassifier;
import org.parry.testing.SyntheticModels;
import org.parry.testing.TestModels;

/**
 * The transfer matrix: its diagonal is the white-box error, every cell is the error a {@link
 * TransferAttack} measures on the pair, the worst black-box is the largest off-diagonal cell, and
 * models of different tasks are refused.
 */
class TransferMatrixTest {

    private static final int N = 60;
    private static final int BATCH = 30;

    private static List<TransferMatrix.Model> models() {
        return List.of(new TransferMatrix.Model("cnn", TestModels.syntheticCnn()),
                new TransferMatrix.Model("mlp", SyntheticModels.trained("mlp", 32, 13)));
    }

    @Test
    void cellsAreTransferErrorsAndTheDiagonalIsWhiteBox() {
        ImageDataset data = TestModels.syntheticTest().first(N);
        List<Attack> attacks = List.of(Fgsm.of(0.2f), RandFgsm.of(0.2f, 1));
        List<Integer> progress = new ArrayList<>();
        TransferMatrix matrix = TransferMatrix.measure(models(), attacks, data, BATCH, progress::add);
        assertThat(progress).containsExactly(0, 30, 60);
        assertThat(matrix.models()).containsExactly("cnn", "mlp");
        assertThat(matrix.attacks()).containsExactly("fgsm", "rand-fgsm");
        // each cell counts what a TransferAttack finds on the same batches (rand-fgsm's noise
        // depends on the batch), and the diagonal what the white-box attack finds
        for (int a = 0; a < attacks.size(); a++) {
            for (int s = 0; s < 2; s++) {
                for (int t = 0; t < 2; t++) {
                    int transfer = 0;
                    int whiteBox = 0;
                    for (int from = 0; from < N; from += BATCH) {
                        try (NDManager manager = NDManager.newBaseManager()) {
                            Batch batch = data.batch(manager, from, from + BATCH);
                            Misclassification criterion = new Misclassification(batch.y());
                            transfer += new TransferAttack(models().get(s).classifier(),
                                    attacks.get(a)).run(models().get(t).classifier(), batch.x(),
                                    criterion).successes();
                            whiteBox += attacks.get(a).run(models().get(t).classifier(),
                                    batch.x(), criterion).successes();
                        }
                    }
                    assertThat(matrix.errorRate(a, s, t)).as("attack %d, %d -> %d", a, s, t)
                            .isEqualTo((double) transfer / N);
                    if (s == t) {
                        assertThat(matrix.errorRate(a, s, t)).isEqualTo((double) whiteBox / N);
                    }
                }
            }
        }
        for (int t = 0; t < 2; t++) {
            TransferMatrix.Worst worst = matrix.worstBlackBox().get(t);
            int s = 1 - t;
            double expected = Math.max(matrix.errorRate(0, s, t), matrix.errorRate(1, s, t));
            assertThat(worst.errorRate()).isEqualTo(expected);
            assertThat(worst.source()).isEqualTo(matrix.models().get(s));
            assertThat(worst.target()).isEqualTo(matrix.models().get(t));
            assertThat(matrix.errorRate(0, t, t)).as("white-box beats the transfer")
                    .isGreaterThanOrEqualTo(matrix.errorRate(0, s, t));
        }
        for (double clean : matrix.cleanError()) {
            assertThat(clean).isLessThan(0.1);
        }
    }

    /** A query-only model is a target only: its rows are NaN and it is nobody's worst source. */
    @Test
    void aQueryOnlyModelIsATargetOnly() {
        ImageDataset data = TestModels.syntheticTest().first(N);
        Classifier mlp = SyntheticModels.trained("mlp", 32, 13);
        List<TransferMatrix.Model> models = List.of(
                new TransferMatrix.Model("cnn", TestModels.syntheticCnn()),
                new TransferMatrix.Model("mlp-api", NoGradientClassifier.of("mlp-api",
                        mlp.inputShape(), mlp.numClasses(), mlp::logits)));
        TransferMatrix matrix = TransferMatrix.measure(models, List.of(Fgsm.of(0.2f)), data, BATCH,
                n -> {});
        TransferMatrix full = TransferMatrix.measure(models(), List.of(Fgsm.of(0.2f)), data, BATCH,
                n -> {});
        assertThat(matrix.errorRate(0, 1, 0)).isNaN();
        assertThat(matrix.errorRate(0, 1, 1)).isNaN();
        assertThat(matrix.errorRate(0, 0, 1)).as("cnn -> the query-only mlp, as with gradients")
                .isEqualTo(full.errorRate(0, 0, 1));
        assertThat(matrix.gradients()[0][1]).isZero();
        assertThat(matrix.worstBlackBox().get(0)).as("nothing else can attack the cnn").isNull();
        assertThat(matrix.worstBlackBox().get(1).source()).isEqualTo("cnn");
        TransferMatrix.Model api = models.get(1);
        assertThatThrownBy(() -> TransferMatrix.measure(List.of(api, new TransferMatrix.Model(
                "api-2", api.classifier())), List.of(Fgsm.of(0.1f)), data, BATCH, n -> {}))
                .hasMessageContaining("no model of the transfer matrix has gradients");
    }

    @Test
    void modelsMustShareTheTaskAndBeAtLeastTwo() {
        ImageDataset data = TestModels.syntheticTest().first(10);
        List<Attack> fgsm = List.of(Fgsm.of(0.1f));
        TransferMatrix.Model cnn = new TransferMatrix.Model("cnn", TestModels.syntheticCnn());
        TransferMatrix.Model other = new TransferMatrix.Model("small", NoGradientClassifier.of(
                "small", new Shape(1, 14, 14), 10, x -> x));
        assertThatThrownBy(() -> TransferMatrix.measure(List.of(cnn), fgsm, data, 10, n -> {}))
                .hasMessageContaining("at least two models");
        assertThatThrownBy(() -> TransferMatrix.measure(List.of(cnn, other), fgsm, data, 10,
                n -> {}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("model 'small' takes inputs of shape (1, 14, 14)");
        assertThatThrownBy(() -> TransferMatrix.measure(List.of(cnn, cnn), fgsm, data, 10,
                n -> {}))
                .hasMessageContaining("names must differ");
    }
}
