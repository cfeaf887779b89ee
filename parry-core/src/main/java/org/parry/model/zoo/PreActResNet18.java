package org.parry.model.zoo;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;

/**
 * PreAct-ResNet-18 (He et al., ECCV 2016), the CIFAR-10 network of most adversarial-training
 * papers (Rice et al. 2020, Wong et al. 2020): conv3x3-w, four stages of two {@link PreActBlock}s
 * with w, 2w, 4w, 8w channels (strides 1, 2, 2, 2), BN, ReLU, global average pool, fc-K.
 * The standard width is 64 (11M parameters); smaller widths make it trainable on a CPU.
 */
public final class PreActResNet18 implements Architecture {

    @Override
    public String id() {
        return "preact-resnet18";
    }

    @Override
    public String description() {
        return "PreAct-ResNet-18 (He et al. 2016) for CIFAR-style inputs (width = first stage's channels)";
    }

    @Override
    public int defaultWidth() {
        return 64;
    }

    @Override
    public Block build(Shape inputShape, int numClasses, ArchitectureOptions options) {
        SequentialBlock net = new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1))
                        .optStride(new Shape(options.firstStride(), options.firstStride()))
                        .optBias(false).setFilters(options.width()).build());
        int width = options.width();
        int channels = width;
        for (int stage = 0; stage < 4; stage++) {
            int stageChannels = width << stage;
            int stride = stage == 0 ? 1 : 2;
            net.add(new PreActBlock(stageChannels, stride, stride != 1 || channels != stageChannels,
                    options.activation()));
            net.add(new PreActBlock(stageChannels, 1, false, options.activation()));
            channels = stageChannels;
        }
        return net.add(BatchNorm.builder().build())
                .add(options.activation().block())
                .add(Pool.globalAvgPool2dBlock())
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(numClasses).build());
    }
}
