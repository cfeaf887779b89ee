package org.parry.testing;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.parry.data.ImageDataset;
import org.parry.data.SyntheticDataset;
import org.parry.model.BlockClassifier;
import org.parry.model.Normalization;
import org.parry.train.StandardObjective;
import org.parry.train.Trainer;
import org.parry.train.TrainingListener;
import org.parry.train.TrainingSettings;

/**
 * A CNN with BatchNorm and one Dropout layer, as the zoo has none: normalization, conv16-3x3,
 * BatchNorm, ReLU, max-pool 4, flatten, fc-32, ReLU, Dropout(p), fc-K. For MC dropout (BU) and the
 * detectors that read activations. 16 channels: oneDNN's input gradients are wrong for other
 * counts on some CPUs (DJL.md).
 */
public final class DropoutCnn {

    private static BlockClassifier trained;

    private DropoutCnn() {}

    /** Freshly initialized, for (C, H, W) inputs and K classes. The caller closes it. */
    public static BlockClassifier create(Shape inputShape, int numClasses, float rate, long seed,
            Normalization normalization) {
        Engine.getInstance().setRandomSeed((int) seed);
        SequentialBlock block = new SequentialBlock()
                .add(normalization.asBlock())
                .add(new SequentialBlock()
                        .add(Conv2d.builder().setKernelShape(new Shape(3, 3))
                                .optPadding(new Shape(1, 1)).setFilters(16).build())
                        .add(BatchNorm.builder().build())
                        .add(Activation.reluBlock())
                        .add(Pool.maxPool2dBlock(new Shape(4, 4)))
                        .add(Blocks.batchFlattenBlock())
                        .add(Linear.builder().setUnits(32).build())
                        .add(Activation.reluBlock())
                        .add(Dropout.builder().optRate(rate).build())
                        .add(Linear.builder().setUnits(numClasses).build()));
        NDManager manager = NDManager.newBaseManager();
        block.initialize(manager, DataType.FLOAT32, new Shape(1).addAll(inputShape));
        return new BlockClassifier("dropout-cnn", block, inputShape, numClasses, manager);
    }

    /**
     * Dropout 0.5, trained for two epochs on the 2000 synthetic 1x28x28 images of {@link
     * TestModels#syntheticCnn()}; built once per test JVM. Do not close it.
     */
    public static synchronized BlockClassifier trained() {
        if (trained == null) {
            ImageDataset train = SyntheticDataset.generate(2000, 10, 1, 28, 28, 1);
            BlockClassifier model = create(new Shape(1, 28, 28), 10, 0.5f, 3,
                    Normalization.of(train));
            try {
                new Trainer(TrainingSettings.builder().optEpochs(2).optBatchSize(64)
                        .optLearningRate(2e-3f).optSeed(3).build(), new StandardObjective(),
                        TrainingListener.NONE).fit(model, train, null, false);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            trained = model;
        }
        return trained;
    }
}
