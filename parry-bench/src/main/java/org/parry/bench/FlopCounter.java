package org.parry.bench;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.nn.core.Linear;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;

/**
 * An analytic count of the floating-point operations of one forward pass of a zoo network, for
 * ONE input (batch size 1). Only the layers that dominate the cost are counted, each
 * multiply-add as 2 FLOPs:
 *
 * <ul>
 *   <li>convolution: {@code 2 * (Cin / groups) * kh * kw * Cout * Hout * Wout};
 *   <li>linear (fully connected): {@code 2 * in * out} (per row of its input).
 * </ul>
 *
 * Bias additions, ReLU, pooling, normalization, flattening and the loss are elementwise,
 * at most a few percent of the total for the CNNs, and not counted. The walk follows
 * {@link SequentialBlock}s in order, propagating shapes with {@link Block#getOutputShapes};
 * parameter-free leaves (activations, pooling, lambda blocks) count 0. Other composite blocks
 * (residual blocks, BatchNorm) are rejected, so a number is never silently wrong.
 *
 * <p>Derived counts used by the benchmarks, with {@code F} the forward count:
 *
 * <ul>
 *   <li>input gradient with frozen parameters ({@code lossGradient}): forward {@code F} plus the
 *       backward with respect to activations, which for every convolution and linear layer is a
 *       transposed product of exactly the same size, so {@code 2F} (weight gradients are not
 *       computed because the parameters do not require gradients);
 *   <li>training step: forward, activation gradients and weight gradients, {@code 3F} (minus the
 *       first layer's input gradient, which is not needed; ignored).
 * </ul>
 */
public final class FlopCounter {

    /** One counted layer: what it is and its FLOPs for one input. */
    public record Layer(String description, long flops) {}

    /** The count of a network: per layer, and the total forward FLOPs {@code F} for one input. */
    public record Count(List<Layer> layers, long forwardFlops) {

        /** FLOPs of one input-gradient pass (forward + backward to the input), {@code 2F}. */
        public long inputGradientFlops() {
            return 2 * forwardFlops;
        }

        /** FLOPs of one training step per input (forward + both backward products), {@code 3F}. */
        public long trainingFlops() {
            return 3 * forwardFlops;
        }
    }

    private FlopCounter() {}

    /**
     * Counts an initialized block.
     *
     * @param block the network, initialized (parameter shapes known)
     * @param inputShape one input's shape (C, H, W), without the batch axis
     * @throws UnsupportedOperationException for a layer type the counter does not know
     */
    public static Count count(Block block, Shape inputShape) {
        List<Layer> layers = new ArrayList<>();
        walk(block, new Shape(1).addAll(inputShape), layers);
        long total = 0;
        for (Layer layer : layers) {
            total += layer.flops();
        }
        return new Count(List.copyOf(layers), total);
    }

    /** Adds the layers of {@code block} on an input of {@code input} shape; returns its output shape. */
    private static Shape walk(Block block, Shape input, List<Layer> layers) {
        if (block instanceof SequentialBlock) {
            Shape shape = input;
            for (Pair<String, Block> child : block.getChildren()) {
                shape = walk(child.getValue(), shape, layers);
            }
            return shape;
        }
        Shape output = block.getOutputShapes(new Shape[] {input})[0];
        if (block instanceof Convolution conv) {
            Shape weight = weightShape(block);
            // weight: (Cout, Cin / groups, k...), output: (N, Cout, spatial...)
            long perOutput = 2 * weight.size() / weight.get(0);
            long flops = perOutput * output.size() / output.get(0);
            layers.add(new Layer(String.format("conv %dx%s -> %s", input.get(1),
                    conv.getKernelShape(), output.slice(1)), flops));
        } else if (block instanceof Linear) {
            Shape weight = weightShape(block);
            long out = weight.get(0);
            long in = weight.get(1);
            long rows = input.size() / input.get(0) / in;
            layers.add(new Layer(String.format("linear %d -> %d", in, out), 2 * in * out * rows));
        } else if (!block.getChildren().isEmpty() || !block.getParameters().isEmpty()) {
            throw new UnsupportedOperationException("FlopCounter does not know "
                    + block.getClass().getName() + "; it counts sequential networks of convolution "
                    + "and linear layers with parameter-free layers in between");
        }
        return output;
    }

    private static Shape weightShape(Block block) {
        for (Pair<String, Parameter> parameter : block.getParameters()) {
            if (parameter.getKey().equals("weight")) {
                Parameter weight = parameter.getValue();
                if (!weight.isInitialized()) {
                    throw new IllegalStateException("block is not initialized: " + block);
                }
                return weight.getArray().getShape();
            }
        }
        throw new IllegalStateException("layer without a weight: " + block);
    }
}
