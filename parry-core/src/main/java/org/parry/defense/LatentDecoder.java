package org.parry.defense;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import java.util.List;
import org.parry.train.Optimizer;

/**
 * LADDER's generator G: z ↦ x, from a classifier's latent features back to images (Zhou, Tsang
 * and Yin, "LADDER: Latent boundary-guided adversarial training", Machine Learning 2022, arXiv
 * 2206.03717). The paper gives no architecture; this one is reconstructed. For images whose height
 * and width are multiples of 4 (28 × 28):
 * <pre>
 *   z (d) → linear(32·H/4·W/4) → ReLU → reshape (32, H/4, W/4)
 *     → up2 → conv 3×3 (16) → ReLU → up2 → conv 3×3 (C) → sigmoid
 * </pre>
 * (up2: nearest-neighbour upsampling, each pixel repeated 2 × 2; convolutions same-padded). The
 * spec's decoder has two transposed convolutions; DJL's PyTorch engine does not implement them
 * ("Not implemented"), so each doubling is an upsampling followed by a convolution, the usual
 * substitute (as in MagNet's decoder, {@code DenoisingAutoencoder}). For any other
 * (C, H, W) a multilayer perceptron z → linear(256) → ReLU → linear(C·H·W) → sigmoid. The output is
 * in [0, 1]. It is trained on pairs (h(x), x) to minimize the reconstruction's mean squared error
 * ‖G(h(x)) − x‖² / (C·H·W), one Adam step per call of {@link #train}. Its weights and Adam's state
 * live in the manager it is created in, and stay frozen outside {@link #train}.
 */
final class LatentDecoder {

    private static final int CHANNELS = 32;
    private static final int HIDDEN = 256;

    private final Shape imageShape;
    private final Block block;
    private final ParameterStore store;
    private final Optimizer optimizer;
    private final float learningRate;

    /**
     * @param latentDimension d, the length of z
     * @param imageShape (C, H, W) of the images to generate
     * @param learningRate Adam's step size
     * @param manager holds the weights and Adam's state; the caller closes it
     */
    LatentDecoder(int latentDimension, Shape imageShape, float learningRate, NDManager manager) {
        if (imageShape.dimension() != 3) {
            throw new IllegalArgumentException("the decoder generates images (C, H, W), got "
                    + imageShape);
        }
        this.imageShape = imageShape;
        this.learningRate = learningRate;
        this.block = upsampling(imageShape) ? upsamplingDecoder(imageShape)
                : perceptron(imageShape);
        block.initialize(manager, DataType.FLOAT32, new Shape(1, latentDimension));
        block.freezeParameters(true);
        this.store = new ParameterStore(manager, false);
        this.optimizer = Optimizer.adam(manager);
    }

    private static boolean upsampling(Shape imageShape) {
        return imageShape.get(1) % 4 == 0 && imageShape.get(2) % 4 == 0;
    }

    private static Block upsamplingDecoder(Shape imageShape) {
        long height = imageShape.get(1) / 4;
        long width = imageShape.get(2) / 4;
        return new SequentialBlock()
                .add(Linear.builder().setUnits(CHANNELS * height * width).build())
                .add(Activation.reluBlock())
                .add(new LambdaBlock(inputs -> new NDList(inputs.singletonOrThrow()
                        .reshape(-1, CHANNELS, height, width)), "reshape"))
                .add(doubling(CHANNELS / 2))
                .add(Activation.reluBlock())
                .add(doubling(Math.toIntExact(imageShape.get(0))))
                .add(Activation.sigmoidBlock());
    }

    /** Nearest-neighbour upsampling by 2, then a same-padded 3 × 3 convolution. */
    private static Block doubling(int filters) {
        return new SequentialBlock()
                .add(new LambdaBlock(inputs -> new NDList(
                        inputs.singletonOrThrow().repeat(2, 2).repeat(3, 2)), "upsample"))
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1))
                        .setFilters(filters).build());
    }

    private static Block perceptron(Shape imageShape) {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(HIDDEN).build())
                .add(Activation.reluBlock())
                .add(Linear.builder().setUnits(imageShape.size()).build())
                .add(Activation.sigmoidBlock())
                .add(new LambdaBlock(inputs -> new NDList(inputs.singletonOrThrow()
                        .reshape(new Shape(-1).addAll(imageShape))), "reshape"));
    }

    /** Which of the two architectures: {@code upsample-conv} or {@code mlp}. */
    String architecture() {
        return upsampling(imageShape) ? "upsample-conv" : "mlp";
    }

    /**
     * G(z).
     *
     * @param z [N, d] latents
     * @return [N, C, H, W] in [0, 1], in {@code z}'s manager
     */
    NDArray decode(NDArray z) {
        return block.forward(store, new NDList(z), false).singletonOrThrow();
    }

    /** ‖G(z) − target‖² averaged over the batch's pixels. */
    NDArray reconstructionError(NDArray z, NDArray target) {
        return decode(z).sub(target).square().mean();
    }

    /**
     * One Adam step on the reconstruction error of (z, target).
     *
     * @param z [N, d] latents without a gradient graph
     * @param target [N, C, H, W] the images in [0, 1]
     * @param scope a short-lived manager for the step's temporaries
     * @return the error before the step
     */
    float train(NDArray z, NDArray target, NDManager scope) {
        List<NDArray> weights = block.getParameters().values().stream()
                .map(Parameter::getArray).toList();
        return AuxiliaryDescent.step(weights, optimizer, learningRate,
                () -> reconstructionError(z, target), scope, "LADDER decoder");
    }
}
