package org.parry.model.zoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import java.util.Objects;
import org.parry.attack.Require;

/**
 * A feature-denoising block of Xie, Wu, van der Maaten, Yuille and He, "Feature denoising for
 * improving adversarial robustness" (CVPR 2019, §4 and Fig. 4):
 *
 * <pre>
 *   y = x + BN(Conv1×1(D(x)))
 * </pre>
 *
 * with D one of the {@link Denoiser} operations (non-local means, bilateral, mean or median
 * filter) and the 1×1 convolution (C → C, no bias, as BatchNorm follows) mixing the denoised
 * channels. The residual form lets the network keep the signal while it learns how much denoising
 * to add. BatchNorm's scale γ starts at zero (and its shift β at zero, DJL's default), so a fresh
 * block is exactly the identity in training mode (batch statistics) and in evaluation mode
 * (running statistics) alike; the paper's code does the same ({@code zero_init=True}). Only with
 * adversarial training do such blocks raise robustness; the paper places one after each residual
 * stage of a ResNet.
 *
 * <p>For {@link Denoiser#NONLOCAL_EMBEDDED} the block also owns the two 1×1 projections θ and φ
 * (C → C/2, no bias, weights from N(0, 0.01²) as in the paper's code).
 *
 * <p>Children, in order: {@code theta} and {@code phi} (embedded only), {@code conv}, {@code bn}.
 * Any spatial size works (a 1×1 map too); the non-local variants cost O(N²) memory per sample in
 * the number N = H·W of positions (see {@link Denoiser}).
 */
public final class FeatureDenoising extends AbstractBlock {

    private static final byte VERSION = 1;
    private static final float EMBEDDING_STD = 0.01f;

    private final int channels;
    private final Denoiser denoiser;
    private final Block theta;
    private final Block phi;
    private final Block conv;
    private final Block norm;

    /**
     * @param channels C, the channel count of the inputs (and outputs)
     * @param denoiser D
     */
    public FeatureDenoising(int channels, Denoiser denoiser) {
        super(VERSION);
        Objects.requireNonNull(denoiser, "denoiser");
        Require.atLeast("feature-denoising channels", channels, 1);
        if (denoiser.embedded() && channels < 2) {
            throw new IllegalArgumentException("the " + denoiser.id() + " denoiser projects C"
                    + " channels to C/2 and needs C >= 2, got " + channels
                    + "; use the nonlocal denoiser instead");
        }
        this.channels = channels;
        this.denoiser = denoiser;
        if (denoiser.embedded()) {
            theta = addChildBlock("theta", embedding(channels / 2));
            phi = addChildBlock("phi", embedding(channels / 2));
        } else {
            theta = null;
            phi = null;
        }
        conv = addChildBlock("conv", pointwise(channels));
        norm = addChildBlock("bn", BatchNorm.builder().build());
        norm.setInitializer(Initializer.ZEROS, Parameter.Type.GAMMA);
    }

    private static Block pointwise(int filters) {
        return Conv2d.builder().setKernelShape(new Shape(1, 1)).setFilters(filters).optBias(false)
                .build();
    }

    private static Block embedding(int filters) {
        Block block = pointwise(filters);
        block.setInitializer(new NormalInitializer(EMBEDDING_STD), Parameter.Type.WEIGHT);
        return block;
    }

    /** C. */
    public int channels() {
        return channels;
    }

    /** D. */
    public Denoiser denoiser() {
        return denoiser;
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        requireInput(x.getShape());
        NDArray denoised = theta == null
                ? denoiser.apply(x, x, x)
                : denoiser.apply(x, theta.forward(store, inputs, training).singletonOrThrow(),
                        phi.forward(store, inputs, training).singletonOrThrow());
        NDList mixed = conv.forward(store, new NDList(denoised), training);
        return new NDList(x.add(norm.forward(store, mixed, training).singletonOrThrow()));
    }

    private void requireInput(Shape shape) {
        if (shape.dimension() != 4 || shape.get(1) != channels) {
            throw new IllegalArgumentException("feature denoising over " + channels
                    + " channels expects inputs of shape (N, " + channels + ", H, W), got "
                    + shape);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        requireInput(inputShapes[0]);
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType,
            Shape... inputShapes) {
        requireInput(inputShapes[0]);
        if (theta != null) {
            theta.initialize(manager, dataType, inputShapes);
            phi.initialize(manager, dataType, inputShapes);
        }
        conv.initialize(manager, dataType, inputShapes);
        norm.initialize(manager, dataType, inputShapes);
    }
}
