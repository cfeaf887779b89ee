package org.parry.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.engine.Engine;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.model.zoo.ModelZoo;

/** Builds freshly initialized zoo models for tests. */
final class ZooModels {

    private ZooModels() {}

    static BlockClassifier initialized(String architecture, Shape inputShape, int numClasses,
            int width, long seed) {
        return initialized(architecture, inputShape, numClasses, width, seed, DataType.FLOAT32);
    }

    static BlockClassifier initialized(String architecture, Shape inputShape, int numClasses,
            int width, long seed, DataType dataType) {
        Engine.getInstance().setRandomSeed((int) seed);
        NDManager manager = NDManager.newBaseManager();
        Block block = ModelZoo.build(architecture, inputShape, numClasses, ArchitectureOptions.ofWidth(width),
                Normalization.identity((int) inputShape.get(0)));
        block.initialize(manager, dataType, new Shape(1).addAll(inputShape));
        return new BlockClassifier(architecture, block, inputShape, numClasses, manager);
    }
}
