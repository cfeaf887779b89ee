package org.parry.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import org.parry.model.BlockClassifier;
import org.parry.model.Normalization;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.model.zoo.ModelZoo;

/**
 * Builds freshly initialized zoo classifiers (random weights, identity normalization): speed
 * does not depend on the weights' values.
 */
public final class Models {

    /** MNIST-like inputs, (1, 28, 28). */
    public static final Shape MNIST = new Shape(1, 28, 28);

    private Models() {}

    /**
     * @param architecture a {@link ModelZoo} name
     * @param inputShape (C, H, W)
     * @param numClasses K
     * @param seed the engine's random seed for the initialization
     * @return a classifier owning its own parameter manager (close it)
     */
    public static BlockClassifier initialized(String architecture, Shape inputShape,
            int numClasses, long seed) {
        return initialized(architecture, ArchitectureOptions.DEFAULT, inputShape, numClasses, seed);
    }

    /**
     * The same with these options (width, activation, robust blocks).
     *
     * @return a classifier owning its own parameter manager (close it)
     */
    public static BlockClassifier initialized(String architecture, ArchitectureOptions options,
            Shape inputShape, int numClasses, long seed) {
        Engine.getInstance().setRandomSeed((int) seed);
        NDManager manager = NDManager.newBaseManager();
        Block block = ModelZoo.build(architecture, inputShape, numClasses, options,
                Normalization.identity((int) inputShape.get(0)));
        block.initialize(manager, DataType.FLOAT32, new Shape(1).addAll(inputShape));
        return new BlockClassifier(architecture, block, inputShape, numClasses, manager);
    }
}
