package org.parry.model.zoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The right-hand side f of the neural ODE dz/dt = f(t, z) on a [N, C, H, W] feature map, in the
 * two forms of Yan, Du, Tan and Feng, "On Robustness of Neural Ordinary Differential Equations"
 * (ICLR 2020, arXiv 1910.05513):
 *
 * <pre>
 *   f(t, z) = act(GN(conv₂(t, act(GN(conv₁(t, z))))))
 * </pre>
 *
 * with 3×3 same-padded convolutions that keep the C channels, {@link GroupNorm} and the
 * architecture's activation (ReLU by default; each of the two is its own child block from {@link
 * Nonlinearity#block()}, so an activation with parameters gets one set per position).
 *
 * <ul>
 *   <li><b>Time-dependent</b> (ODENet of Chen, Rubanova, Bettencourt and Duvenaud, "Neural
 *       Ordinary Differential Equations", NeurIPS 2018): each convolution is a "ConcatConv" that
 *       sees t as one more input channel, constant over the positions and put first:
 *       conv(t, z) = W * [t·1, z] + b.
 *   <li><b>Time-invariant</b> (TisODE): f(z), no time channel and convolutions without bias; it
 *       ignores t. The residual block z + f(z) of the paper's CNN baseline uses this form too.
 * </ul>
 *
 * <p>Called by {@link OdeBlock} through {@link #apply}; as a plain block its input is (z) or (z, t)
 * with t a scalar array, and a time-dependent f requires t.
 */
public final class OdeFunction extends AbstractBlock {

    private static final byte VERSION = 1;

    private final boolean timeDependent;
    private final Block conv1;
    private final Block norm1;
    private final Block activation1;
    private final Block conv2;
    private final Block norm2;
    private final Block activation2;

    private OdeFunction(int channels, boolean timeDependent, Nonlinearity activation) {
        super(VERSION);
        if (channels < 1) {
            throw new IllegalArgumentException("the ODE function needs at least one channel, got "
                    + channels);
        }
        GroupNorm.groups(channels);
        this.timeDependent = timeDependent;
        conv1 = addChildBlock("conv1", convolution(channels, timeDependent));
        norm1 = addChildBlock("norm1", new GroupNorm());
        activation1 = addChildBlock("activation1", activation.block());
        conv2 = addChildBlock("conv2", convolution(channels, timeDependent));
        norm2 = addChildBlock("norm2", new GroupNorm());
        activation2 = addChildBlock("activation2", activation.block());
    }

    /** ODENet's f(t, z): ConcatConv layers (t as a channel, with bias). */
    public static OdeFunction timeDependent(int channels, Nonlinearity activation) {
        return new OdeFunction(channels, true, activation);
    }

    /** TisODE's f(z): plain convolutions without bias, no time input. */
    public static OdeFunction timeInvariant(int channels, Nonlinearity activation) {
        return new OdeFunction(channels, false, activation);
    }

    private static Block convolution(int channels, boolean bias) {
        return Conv2d.builder()
                .setKernelShape(new Shape(3, 3))
                .optPadding(new Shape(1, 1))
                .optBias(bias)
                .setFilters(channels)
                .build();
    }

    /**
     * f(t, z).
     *
     * @param z [N, C, H, W]
     * @param t the time (ignored by the time-invariant form)
     */
    public NDArray apply(ParameterStore store, NDArray z, float t, boolean training) {
        NDArray out = layer(conv1, norm1, activation1, store, z, t, training);
        return layer(conv2, norm2, activation2, store, out, t, training);
    }

    private NDArray layer(Block conv, Block norm, Block activation, ParameterStore store,
            NDArray z, float t, boolean training) {
        NDArray out = conv.forward(store, new NDList(withTime(z, t)), training).singletonOrThrow();
        out = norm.forward(store, new NDList(out), training).singletonOrThrow();
        return activation.forward(store, new NDList(out), training).singletonOrThrow();
    }

    /** [t·1, z] for the time-dependent form, z itself otherwise. */
    private NDArray withTime(NDArray z, float t) {
        if (!timeDependent) {
            return z;
        }
        Shape shape = z.getShape();
        NDArray time = z.getManager().full(new Shape(shape.get(0), 1, shape.get(2), shape.get(3)),
                t, z.getDataType(), z.getDevice());
        return time.concat(z, 1);
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        if (inputs.size() == 1 && timeDependent) {
            throw new IllegalArgumentException("a time-dependent ODE function needs the inputs"
                    + " (z, t); got z alone");
        }
        float t = inputs.size() > 1 ? inputs.get(1).toType(DataType.FLOAT32, false).getFloat() : 0f;
        return new NDList(apply(store, inputs.get(0), t, training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType,
            Shape... inputShapes) {
        Shape z = inputShapes[0];
        Shape convInput = timeDependent
                ? new Shape(z.get(0), z.get(1) + 1, z.get(2), z.get(3))
                : z;
        // same padding and C filters: every layer's output has z's shape
        conv1.initialize(manager, dataType, convInput);
        norm1.initialize(manager, dataType, z);
        activation1.initialize(manager, dataType, z);
        conv2.initialize(manager, dataType, convInput);
        norm2.initialize(manager, dataType, z);
        activation2.initialize(manager, dataType, z);
    }
}
