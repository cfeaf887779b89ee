package org.parry.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.util.Objects;

/**
 * A classifier around a DJL {@link Block} built by Parry (from the model zoo, trained by the
 * {@code Trainer}). The block always runs with {@code training=false}: BatchNorm uses its running
 * statistics, Dropout is off. Parry's own blocks give input gradients in that mode, and their
 * parameters are frozen while the classifier computes them, so an attack never leaves parameter
 * gradients behind.
 */
public final class BlockClassifier extends DifferentiableClassifier {

    private final Block block;
    private final ParameterStore parameters;
    private final NDManager owner;

    /**
     * @param block an initialized block mapping [N, C, H, W] pixels to [N, K] logits
     * @param owner the manager holding the block's parameters; the classifier owns it and closes
     *     it in {@link #close()}
     */
    public BlockClassifier(String name, Block block, Shape inputShape, int numClasses,
            NDManager owner) {
        super(name, inputShape, numClasses);
        if (!block.isInitialized()) {
            throw new IllegalArgumentException(
                    "block of '" + name + "' is not initialized; call block.initialize(...) first");
        }
        this.block = block;
        this.owner = Objects.requireNonNull(owner, "owner");
        this.parameters = new ParameterStore(owner, false);
    }

    /** The underlying block, for training and saving. */
    public Block block() {
        return block;
    }

    /** The manager that holds the parameters. */
    public NDManager manager() {
        return owner;
    }

    /** The parameter store forward passes use, shared with the trainer. */
    public ParameterStore parameterStore() {
        return parameters;
    }

    @Override
    protected NDArray forward(NDArray x, boolean forGradient) {
        if (forGradient) {
            block.freezeParameters(true);
        }
        return block.forward(parameters, new NDList(x), false).singletonOrThrow();
    }

    @Override
    public void close() {
        owner.close();
    }
}
