package org.parry.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.parry.testing.DropoutCnn;

/**
 * {@link Layers#dropoutLogits}: Dropout layers draw masks while BatchNorm stays on its running
 * statistics and keeps them, on a CNN whose BatchNorm statistics are far from a batch's own.
 */
class MonteCarloDropoutTest {

    @Test
    void dropoutDrawsWhileBatchNormStaysFrozen() {
        Shape shape = new Shape(1, 12, 12);
        try (BlockClassifier model = DropoutCnn.create(shape, 3, 0.5f, 7,
                Normalization.identity(1)); NDManager manager = NDManager.newBaseManager()) {
            Layers layers = Layers.of(model);
            // Running statistics unlike any batch's: a few training passes on shifted inputs.
            for (int i = 0; i < 5; i++) {
                try (NDManager step = manager.newSubManager()) {
                    NDArray shifted = step.randomUniform(2f, 3f, new Shape(16).addAll(shape));
                    layers.trainingForward(shifted, layers.list().get(0), a -> a);
                }
            }
            assertThat(layers.dropouts()).extracting(Layers.Layer::kind).containsExactly("Dropout");
            NDArray x = manager.randomUniform(0f, 1f, new Shape(4).addAll(shape));
            float[] eval = model.logits(x).toFloatArray();
            Layers.Layer before = layers.list().get(layers.dropouts().get(0).index() - 1);
            NDArray hidden = layers.features(before, x);
            int draws = 1000;
            double[] mean = new double[eval.length];
            double[] square = new double[eval.length];
            float[] first = null;
            boolean differ = false;
            for (int t = 0; t < draws; t++) {
                try (NDManager step = manager.newSubManager()) {
                    step.tempAttachAll(hidden);
                    float[] draw = layers.dropoutLogits(before, hidden).toFloatArray();
                    if (first == null) {
                        first = draw;
                    } else {
                        differ |= !java.util.Arrays.equals(first, draw);
                    }
                    for (int i = 0; i < draw.length; i++) {
                        mean[i] += draw[i] / (double) draws;
                        square[i] += draw[i] * (double) draw[i] / draws;
                    }
                }
            }
            assertThat(differ).as("dropout draws masks").isTrue();
            // Dropout feeds a linear layer and E[mask / (1 - p)] = 1: the mean draw is the
            // evaluation-mode output, up to its standard error (6 of them: 12 checks).
            for (int i = 0; i < eval.length; i++) {
                double error = Math.sqrt((square[i] - mean[i] * mean[i]) / draws);
                assertThat(Math.abs(mean[i] - eval[i])).as("logit " + i)
                        .isLessThan(6 * error + 1e-6);
            }
            // BatchNorm in training mode would have used the batch's statistics and updated its
            // running ones: evaluation logits are unchanged after 1000 draws.
            assertThat(model.logits(x).toFloatArray()).containsExactly(eval);
            // while a training-mode pass (BatchNorm included) moves them: the check has power
            layers.trainingForward(x, layers.list().get(0), a -> a);
            assertThat(model.logits(x).toFloatArray()).isNotEqualTo(eval);
        }
    }
}
