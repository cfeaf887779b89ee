package org.parry.model.zoo;

import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Random;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.BlockClassifier;
import org.parry.model.GradientCheck;

/**
 * Test helpers for zoo blocks: a block between a 3×3 convolution and a linear layer, wrapped in a
 * {@link BlockClassifier} as the zoo's models are, so that its input gradient can be checked
 * against finite differences; and direct forward passes and parameter settings.
 */
final class BlockSandwich {

    /** Inputs of the sandwich: one channel, 6×6. */
    static final Shape INPUT = new Shape(1, 6, 6);
    static final int CLASSES = 3;

    private BlockSandwich() {}

    /**
     * conv(1 → channels, 3×3, same) → block → flatten → fc-3, initialized in {@code dataType}.
     * The classifier owns the block's parameters.
     */
    static BlockClassifier classifier(Block block, int channels, DataType dataType, int seed) {
        Engine.getInstance().setRandomSeed(seed);
        NDManager manager = NDManager.newBaseManager();
        Block network = new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1))
                        .setFilters(channels).build())
                .add(block)
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(CLASSES).build());
        network.initialize(manager, dataType, new Shape(1).addAll(INPUT));
        return new BlockClassifier("sandwich", network, INPUT, CLASSES, manager);
    }

    /**
     * The worst relative error of the float64 input gradient of the sandwich around {@code
     * block} against central finite differences (h = 1e-4, 3 directions), on 3 random inputs.
     */
    static double inputGradientError(BlockClassifier model) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomUniform(0f, 1f, new Shape(3).addAll(INPUT))
                    .toType(DataType.FLOAT64, false);
            NDArray y = manager.create(new int[] {0, 1, 2});
            return GradientCheck.maxRelativeError(model, x, y, CrossEntropyLoss.get(), 3, 1e-4f, 5);
        }
    }

    /**
     * ||g32 - g64|| / ||g64|| for the input gradients of two sandwiches with the same weights, one
     * in float32 (the one attacks use) and one in float64: catches a native float32 kernel that is
     * wrong on this machine (see ZooGradientTest).
     *
     * @param single the float32 sandwich; its weights are copied into {@code twin}
     * @param twin the same network in float64
     */
    static double float32GradientGap(BlockClassifier single, BlockClassifier twin) {
        var weights = single.block().getParameters().values();
        var twinWeights = twin.block().getParameters().values();
        for (int i = 0; i < weights.size(); i++) {
            twinWeights.get(i).getArray().set(new NDIndex("..."),
                    weights.get(i).getArray().toType(DataType.FLOAT64, false));
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomUniform(0f, 1f, new Shape(8).addAll(INPUT));
            NDArray y = manager.randomInteger(0, CLASSES, new Shape(8), DataType.INT32);
            NDArray reference = twin.lossGradient(x.toType(DataType.FLOAT64, false), y,
                    CrossEntropyLoss.get()).gradient();
            NDArray gradient = single.lossGradient(x, y, CrossEntropyLoss.get()).gradient()
                    .toType(DataType.FLOAT64, false);
            return gradient.sub(reference).norm().getDouble() / reference.norm().getDouble();
        }
    }

    /** Saves the parameters of {@code block} and loads them into {@code copy}, built alike. */
    static void saveAndLoad(Block block, Block copy, NDManager manager) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        block.saveParameters(new DataOutputStream(bytes));
        try {
            copy.loadParameters(manager,
                    new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        } catch (MalformedModelException e) {
            throw new IOException(e);
        }
    }

    /** Sets a parameter to N(mean, std²) values drawn from {@code random}. */
    static void setNormal(Parameter parameter, double mean, double std, Random random) {
        NDArray array = parameter.getArray();
        double[] values = new double[Math.toIntExact(array.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = mean + std * random.nextGaussian();
        }
        set(parameter, values);
    }

    /** Sets a parameter to the given values (row-major), in its own data type. */
    static void set(Parameter parameter, double[] values) {
        NDArray array = parameter.getArray();
        NDArray replacement = array.getManager().create(values, array.getShape())
                .toType(array.getDataType(), false);
        array.set(new NDIndex("..."), replacement);
        replacement.close();
    }

    /** One forward pass of an initialized block. */
    static NDArray forward(Block block, NDManager manager, NDArray x, boolean training) {
        return block.forward(new ParameterStore(manager, false), new NDList(x), training)
                .singletonOrThrow();
    }

    /** A random float64 array of standard normal values from {@code random}, in Java's order. */
    static double[] normal(int size, Random random) {
        double[] values = new double[size];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextGaussian();
        }
        return values;
    }
}
