package org.parry.attack;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.defense.purify.BitDepthReduction;
import org.parry.defense.purify.GaussianNoise;
import org.parry.model.BlockClassifier;
import org.parry.model.Classifier;
import org.parry.model.GradientMode;
import org.parry.model.Pipeline;
import org.parry.norm.Norm;
import org.parry.testing.TestModels;

/**
 * The adaptive attacks of attacks.md §11.2 on a defended small CNN: a quantizer in front of the
 * network masks PGD's gradient, and BPDA through it brings PGD back to about what it does on the
 * bare network; a noise layer scatters single-draw gradients, and EOT over 10 draws breaks more
 * samples at the same number of steps.
 */
class AdaptiveAttackTest {

    private static final BlockClassifier NETWORK = TestModels.syntheticCnn();
    private static final float EPSILON = 0.1f;

    private static Attack pgd(long seed) {
        return AttackRegistry.create("pgd", new AttackOptions(Norm.LINF, EPSILON, 10, seed, Map.of()));
    }

    /** Accuracy on the attack's points, averaged over {@code draws} forward passes of the model. */
    private static double accuracy(Classifier model, NDArray points, NDArray labels, int draws) {
        double correct = 0;
        for (int d = 0; d < draws; d++) {
            correct += model.logits(points).argMax(1).toType(DataType.INT32, false)
                    .eq(labels.toType(DataType.INT32, false)).sum().getLong();
        }
        return correct / draws / labels.getShape().get(0);
    }

    @Test
    void bpdaBringsPgdBackThroughAQuantizerThatMasksIt() {
        try (NDManager manager = NDManager.newBaseManager();
                Pipeline masked = Pipeline.builder(NETWORK).add(new BitDepthReduction(3)).build();
                Pipeline bpda = Pipeline.builder(NETWORK)
                        .add(new BitDepthReduction(3), GradientMode.BPDA).build()) {
            Batch batch = TestModels.syntheticTest().batch(manager, 0, 64);
            Misclassification criterion = new Misclassification(batch.y());
            double clean = accuracy(masked, batch.x(), batch.y(), 1);
            double bare = accuracy(NETWORK, pgd(1).run(NETWORK, batch.x(), criterion).adversarial(manager),
                    batch.y(), 1);
            double oblivious = accuracy(masked, pgd(1).run(masked, batch.x(), criterion).adversarial(manager),
                    batch.y(), 1);
            double adaptive = accuracy(masked, pgd(1).run(bpda, batch.x(), criterion).adversarial(manager),
                    batch.y(), 1);
            System.err.printf("quantized: clean %.3f, PGD with masked gradients %.3f, with BPDA %.3f;"
                    + " bare network under PGD %.3f%n", clean, oblivious, adaptive, bare);
            assertThat(oblivious).as("masked gradients leave PGD blind").isGreaterThan(clean - 0.2);
            assertThat(adaptive).as("BPDA breaks the quantized model about as PGD breaks the network")
                    .isLessThanOrEqualTo(bare + 0.15).isLessThan(oblivious - 0.3);
        }
    }

    @Test
    void eotBreaksMoreOfANoisyModelThanOneDrawAtEqualSteps() {
        try (NDManager manager = NDManager.newBaseManager();
                Pipeline oneDraw = Pipeline.builder(NETWORK).add(new GaussianNoise(0.1f)).seed(1).build();
                Pipeline eot = Pipeline.builder(NETWORK).add(new GaussianNoise(0.1f)).eot(10).seed(2).build();
                Pipeline judge = Pipeline.builder(NETWORK).add(new GaussianNoise(0.1f)).seed(3).build()) {
            Batch batch = TestModels.syntheticTest().batch(manager, 0, 64);
            Misclassification criterion = new Misclassification(batch.y());
            double clean = accuracy(judge, batch.x(), batch.y(), 10);
            double single = accuracy(judge, pgd(4).run(oneDraw, batch.x(), criterion).adversarial(manager),
                    batch.y(), 10);
            double averaged = accuracy(judge, pgd(4).run(eot, batch.x(), criterion).adversarial(manager),
                    batch.y(), 10);
            System.err.printf("noisy: clean %.3f, PGD-10 with one draw %.3f, with EOT over 10 draws %.3f%n",
                    clean, single, averaged);
            assertThat(averaged).isLessThan(single - 0.05);
        }
    }
}
