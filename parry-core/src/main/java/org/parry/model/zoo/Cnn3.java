package org.parry.model.zoo;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import java.util.Set;

/**
 * The three-convolution CNN of Parry's robust-architecture experiments, the small network on which
 * methods/defenses.md §2 compares each block with the same network without it:
 * <pre>
 *   conv w-3x3, act, max-pool 2
 *   conv 2w-3x3, act, [feature denoising], max-pool 2
 *   conv 2w-3x3, act, [CIFS]
 *   fc-128, ReLU, fc-K
 * </pre>
 * with same padding and w = 16 by default (16-32-32 channels, 216k parameters on 28x28 inputs;
 * the methods file's 32-64-64 costs four times as much per image, too much for three seeds of
 * adversarial training on two cores). The denoising block sees the 14x14 map (196 positions) and
 * CIFS the last 7x7 one. With {@code --activation sparta} the convolutional stages use Sparta and
 * the fully connected layer keeps ReLU (Sparta's gate is spatial).
 */
public final class Cnn3 implements Architecture {

    @Override
    public String id() {
        return "cnn3";
    }

    @Override
    public String description() {
        return "conv16-3x3, pool, conv32-3x3, [denoise], pool, conv32-3x3, [cifs], fc128, fc-K"
                + " (width = first conv's channels); hosts cifs, sparta and denoise";
    }

    @Override
    public int defaultWidth() {
        return 16;
    }

    @Override
    public Set<String> hosts() {
        return Set.of("cifs", "sparta", "denoise");
    }

    @Override
    public Block build(Shape inputShape, int numClasses, ArchitectureOptions options) {
        int width = options.width();
        Nonlinearity activation = options.activation();
        SequentialBlock net = new SequentialBlock()
                .add(convolution(width, options.firstStride()))
                .add(activation.block(width))
                .add(Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(convolution(2 * width, 1))
                .add(activation.block(2 * width));
        if (options.denoise() != null) {
            net.add(new FeatureDenoising(2 * width, options.denoise()));
        }
        net.add(Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(convolution(2 * width, 1))
                .add(activation.block(2 * width));
        if (options.cifs() != CifsProbe.NONE) {
            net.add(new CifsBlock(options.cifs(), numClasses, options.cifsBeta()));
        }
        return net.add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(128).build())
                .add(Nonlinearity.RELU.block())
                .add(Linear.builder().setUnits(numClasses).build());
    }

    private static Block convolution(int filters, int stride) {
        return Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1))
                .optStride(new Shape(stride, stride)).setFilters(filters).build();
    }
}
