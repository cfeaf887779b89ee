package org.parry.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.parry.data.Batch;

class GaussianAugmentationTest {

    @Test
    void aboutHalfTheImagesGetNoiseOfOneOfTheThreeSigmasAndLabelsStay() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(11);
            int n = 400;
            // mid-grey images, so that clipping at 0 and 1 hardly touches the noise
            NDArray x = manager.full(new Shape(n, 1, 28, 28), 0.5f);
            NDArray y = manager.arange(n).toType(ai.djl.ndarray.types.DataType.INT32, false);
            Batch noisy = GaussianAugmentation.apply(new Batch(x, y));
            assertThat(noisy.y().toIntArray()).isEqualTo(y.toIntArray());
            float[] values = noisy.x().toFloatArray();
            int changed = 0;
            for (int i = 0; i < n; i++) {
                double[] deviations = new double[784];
                for (int p = 0; p < 784; p++) {
                    deviations[p] = Math.abs(values[i * 784 + p] - 0.5);
                    assertThat(values[i * 784 + p]).isBetween(0f, 1f);
                }
                java.util.Arrays.sort(deviations);
                // σ from the median absolute deviation, which clipping at 0 and 1 (at most ~20%
                // of the pixels, the largest deviations) leaves alone
                double sd = deviations[392] / 0.6745;
                if (deviations[783] == 0) {
                    continue;
                }
                changed++;
                // the median of 784 draws estimates σ within ~4% (1 sd): 20% is 4.7 sd
                double nearest = Double.MAX_VALUE;
                for (float sigma : GaussianAugmentation.SIGMAS) {
                    nearest = Math.min(nearest, Math.abs(sd - sigma) / sigma);
                }
                assertThat(nearest).as("image %d's noise sd %.4f", i, sd).isLessThan(0.2);
            }
            // Binomial(400, 1/2): 200 ± 10, so [160, 240] fails once in 10^5
            assertThat(changed).isBetween(160, 240);
        }
    }
}
