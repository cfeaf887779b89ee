package org.parry.model.zoo;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;

/**
 * The frame odenet, tisode and res-cnn share, from the MNIST networks of Yan et al. (ICLR 2020):
 * a feature extractor conv(C_in → w, 3×3, no padding, stride = the first-layer stride), GN, act,
 * conv(w → w, 4×4, stride 2, padding 1), GN, act (28×28 → 26×26 → 13×13); the body, which keeps
 * the [N, w, 13, 13] shape; then global average pooling and fc(w → K). GN is {@link GroupNorm}
 * with min(32, w/2) groups, act the architecture's activation. The paper's width is 64; Parry's
 * default of 32 is what defenses.md §2.4 advises on a CPU.
 */
final class OdeNetworks {

    /** The default width w. */
    static final int DEFAULT_WIDTH = 32;

    private OdeNetworks() {}

    static Block build(Block body, ArchitectureOptions options, int numClasses) {
        int width = options.width();
        GroupNorm.groups(width);
        int stride = options.firstStride();
        return new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3))
                        .optStride(new Shape(stride, stride)).setFilters(width).build())
                .add(new GroupNorm())
                .add(options.activation().block())
                .add(Conv2d.builder().setKernelShape(new Shape(4, 4)).optStride(new Shape(2, 2))
                        .optPadding(new Shape(1, 1)).setFilters(width).build())
                .add(new GroupNorm())
                .add(options.activation().block())
                .add(body)
                .add(Pool.globalAvgPool2dBlock())
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(numClasses).build());
    }
}
