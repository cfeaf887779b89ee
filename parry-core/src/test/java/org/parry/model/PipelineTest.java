package org.parry.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.parry.data.Batch;
import org.parry.defense.purify.BitDepthReduction;
import org.parry.defense.purify.GaussianNoise;
import org.parry.defense.purify.MedianSmoothing;
import org.parry.defense.purify.RandomResizePad;
import org.parry.loss.CrossEntropyLoss;
import org.parry.loss.LogitLoss;
import org.parry.testing.TestModels;

/**
 * A pipeline is the defended model attacks see: its logits are the network's on the stages'
 * output, BPDA passes the gradient at the purified point through unchanged, autograd through a
 * quantizer gives zero, differentiable stages give gradients finite differences confirm, and EOT
 * averages draws that a seed makes reproducible.
 */
class PipelineTest {

    private static final BlockClassifier NETWORK = TestModels.syntheticCnn();

    private static Batch batch(NDManager manager) {
        return TestModels.syntheticTest().batch(manager, 0, 16);
    }

    @Test
    void bpdaPassesTheGradientAtThePurifiedPointUnchanged() {
        BitDepthReduction quantizer = new BitDepthReduction(2);
        try (NDManager manager = NDManager.newBaseManager();
                Pipeline defended = Pipeline.builder(NETWORK).add(quantizer, GradientMode.BPDA).build()) {
            Batch batch = batch(manager);
            NDArray purified = quantizer.apply(batch.x(), Bounds.UNIT, new SplittableRandom(0));
            assertThat(purified.sub(batch.x()).abs().max().getFloat()).as("the stage moves x")
                    .isGreaterThan(0.1f);
            LossGradient through = defended.lossGradient(batch.x(), batch.y(), CrossEntropyLoss.get());
            LossGradient atPurified = NETWORK.lossGradient(purified, batch.y(), CrossEntropyLoss.get());
            assertThat(through.logits().toFloatArray()).containsExactly(atPurified.logits().toFloatArray());
            assertThat(defended.logits(batch.x()).toFloatArray())
                    .containsExactly(NETWORK.logits(purified).toFloatArray());
            assertThat(through.gradient().sub(atPurified.gradient()).abs().max().getFloat())
                    .isLessThanOrEqualTo(1e-6f);
            assertThat(through.gradient().abs().max().getFloat()).isGreaterThan(0f);
        }
    }

    @Test
    void autogradThroughAQuantizerGivesZeroGradients() {
        try (NDManager manager = NDManager.newBaseManager();
                Pipeline masked = Pipeline.builder(NETWORK).add(new BitDepthReduction(2)).build()) {
            Batch batch = batch(manager);
            LossGradient pass = masked.lossGradient(batch.x(), batch.y(), CrossEntropyLoss.get());
            assertThat(pass.gradient().abs().max().getFloat()).isZero();
            assertThat(masked.approximatesGradients()).isFalse();
        }
    }

    @Test
    void differentiableStagesGiveGradientsFiniteDifferencesConfirm() {
        try (NDManager manager = NDManager.newBaseManager();
                Pipeline defended = Pipeline.builder(NETWORK).add(new MedianSmoothing(3))
                        .add(new RandomResizePad(0.8f)).seed(5).build()) {
            Batch batch = batch(manager);
            Pipeline oneDraw = defended.withFixedRandomness(9);
            double error = GradientCheck.estimatedRelativeError(oneDraw, batch.x().get("0:8"),
                    batch.y().get("0:8"), CrossEntropyLoss.get(), 32, 1e-3f, 1);
            assertThat(error).isLessThan(0.05);
            NDArray first = oneDraw.logits(batch.x());
            assertThat(oneDraw.logits(batch.x()).toFloatArray()).containsExactly(first.toFloatArray());
        }
    }

    @Test
    void eotOnADeterministicPipelineIsExactlyOnePass() {
        try (NDManager manager = NDManager.newBaseManager();
                Pipeline once = Pipeline.builder(NETWORK).add(new MedianSmoothing(2)).build();
                Pipeline averaged = Pipeline.builder(NETWORK).add(new MedianSmoothing(2)).eot(4).build()) {
            Batch batch = batch(manager);
            LossGradient a = once.lossGradient(batch.x(), batch.y(), CrossEntropyLoss.get());
            LossGradient b = averaged.lossGradient(batch.x(), batch.y(), CrossEntropyLoss.get());
            // Equal to the bit, up to the sign of zero (the running mean turns -0 into 0).
            assertThat(b.gradient().sub(a.gradient()).abs().max().getFloat()).isZero();
            assertThat(b.loss().sub(a.loss()).abs().max().getFloat()).isZero();
        }
    }

    @Test
    void aSeedFixesTheDrawsAndEachPassDrawsAfresh() {
        try (NDManager manager = NDManager.newBaseManager();
                Pipeline a = Pipeline.builder(NETWORK).add(new GaussianNoise(0.1f)).seed(3).build();
                Pipeline b = Pipeline.builder(NETWORK).add(new GaussianNoise(0.1f)).seed(3).build()) {
            Batch batch = batch(manager);
            float[] first = a.logits(batch.x()).toFloatArray();
            assertThat(b.logits(batch.x()).toFloatArray()).containsExactly(first);
            assertThat(a.logits(batch.x()).toFloatArray()).isNotEqualTo(first);
            assertThat(a.randomized()).isTrue();
        }
    }

    @Test
    void eotAveragesTheNoiseOutOfTheGradient() {
        try (NDManager manager = NDManager.newBaseManager();
                Pipeline single = Pipeline.builder(NETWORK).add(new GaussianNoise(0.1f)).seed(1).build();
                Pipeline averaged = Pipeline.builder(NETWORK).add(new GaussianNoise(0.1f)).eot(16)
                        .seed(2).build()) {
            Batch batch = batch(manager);
            double spreadOfOne = spread(single, batch);
            double spreadOfSixteen = spread(averaged, batch);
            // Independent draws: the variance of a mean of 16 is 1/16 of one draw's, its spread 1/4.
            assertThat(spreadOfSixteen / spreadOfOne).isBetween(0.15, 0.35);
        }
    }

    /**
     * The L2 distance between two gradients at the same point, over the batch, of z_0 - z_1 (a
     * piecewise-linear network's logit gradients are bounded; cross-entropy's are heavy-tailed).
     */
    private static double spread(Pipeline model, Batch batch) {
        LogitLoss margin = (logits, labels) -> logits.get(":, 0").sub(logits.get(":, 1"));
        NDArray first = model.lossGradient(batch.x(), batch.y(), margin).gradient();
        NDArray second = model.lossGradient(batch.x(), batch.y(), margin).gradient();
        return first.sub(second).norm().getFloat();
    }

    @Test
    void aStageMustKeepTheShape() {
        Stage cropping = new Stage() {
            @Override
            public String name() {
                return "crop";
            }

            @Override
            public Map<String, Object> settings() {
                return Map.of();
            }

            @Override
            public NDArray apply(NDArray x, Bounds bounds, SplittableRandom random) {
                return x.get(":, :, 1:, 1:");
            }

            @Override
            public boolean differentiable() {
                return true;
            }
        };
        try (NDManager manager = NDManager.newBaseManager();
                Pipeline broken = Pipeline.builder(NETWORK).add(cropping).build()) {
            Batch batch = batch(manager);
            assertThatThrownBy(() -> broken.logits(batch.x()))
                    .hasMessageContaining("stage 'crop' turned a batch of shape")
                    .hasMessageContaining("a stage must keep the shape");
        }
    }

    @Test
    void itDescribesItselfForTheReport() {
        try (Pipeline defended = Pipeline.builder(NETWORK).add(new BitDepthReduction(3), GradientMode.BPDA)
                .add(new GaussianNoise(0.05f)).eot(10).seed(4).build()) {
            assertThat(defended.name()).isEqualTo("bit-depth > noise > " + NETWORK.name());
            assertThat(defended.describe()).containsEntry("eot", 10).containsEntry("seed", 4L);
            assertThat(defended.describe().get("stages").toString())
                    .contains("bits=3", "gradients=bpda", "sigma=0.05", "gradients=exact");
            assertThat(defended.approximatesGradients()).isTrue();
        }
    }
}
