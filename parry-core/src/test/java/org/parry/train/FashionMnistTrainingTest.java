package org.parry.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.eval.ConfusionMatrix;
import org.parry.testing.FashionMnist;
import org.parry.testing.FashionMnistModels;

/** The foundation's accuracy bar: small-cnn, one epoch of Fashion-MNIST, >= 85% test accuracy. */
class FashionMnistTrainingTest {

    @Test
    void smallCnnReaches85PercentInOneEpoch() throws IOException {
        FashionMnistModels.Trained trained = FashionMnistModels.smallCnn();
        ImageDataset test = FashionMnist.load(Split.TEST);
        assertThat(trained.trainImages()).isEqualTo(60_000);
        assertThat(trained.history()).hasSize(1);
        double accuracy = ConfusionMatrix.measure(trained.model(), test, 500, done -> {}).accuracy();
        System.err.printf("small-cnn, 1 epoch: test accuracy %.4f, %.0f images/s%n",
                accuracy, trained.history().get(0).imagesPerSecond());
        assertThat(accuracy).isGreaterThanOrEqualTo(0.85);
    }
}
