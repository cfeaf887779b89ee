package org.parry.model.zoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Arrays;

/**
 * Group normalization of Wu and He, "Group Normalization" (ECCV 2018), with G = min(32, C/2) groups
 * (one group for one channel). The neural-ODE networks of Chen et al. (NeurIPS 2018) and Yan et
 * al. (ICLR 2020) use min(32, C) groups on 64 channels, that is two channels per group; Parry keeps
 * two channels per group at the smaller widths a CPU trains, where min(32, C) would be instance
 * normalization, which with the global average pooling after it leaves the classifier little to
 * read (a 16-channel res-cnn learned Fashion-MNIST to 15% in an epoch that way, 23% with pairs). The
 * C channels of a sample split into G groups of C/G consecutive channels; each group is normalized
 * by its own statistics over its channels and all positions, then every channel gets an affine
 * map:
 *
 * <pre>
 *   μ_{n,g} = mean of x_{n,c,h,w} over c in group g and all (h, w)
 *   σ²_{n,g} = mean of (x_{n,c,h,w} - μ_{n,g})² over the same set   (biased, as PyTorch)
 *   y_{n,c,h,w} = γ_c · (x_{n,c,h,w} - μ_{n,g(c)}) / sqrt(σ²_{n,g(c)} + ε) + β_c,   ε = 1e-5
 * </pre>
 *
 * computed by reshaping to [N, G, C/G·H·W]. γ starts at 1 and β at 0. Unlike batch
 * normalization it has no running statistics: training and evaluation compute the same function,
 * one sample at a time. Inputs are [N, C, ...] with any number of trailing dimensions.
 */
public final class GroupNorm extends AbstractBlock {

    /** The most groups: G = min(MAX_GROUPS, C). */
    public static final int MAX_GROUPS = 32;
    /** ε, PyTorch's default. */
    public static final float EPSILON = 1e-5f;

    private static final byte VERSION = 1;

    private final Parameter gamma;
    private final Parameter beta;

    public GroupNorm() {
        super(VERSION);
        gamma = addParameter(Parameter.builder().setName("gamma")
                .setType(Parameter.Type.GAMMA).optShape(new Shape(1)).build());
        beta = addParameter(Parameter.builder().setName("beta")
                .setType(Parameter.Type.BETA).optShape(new Shape(1)).build());
    }

    /**
     * The number of groups for C channels, min(32, C/2) (1 for C = 1).
     *
     * @throws IllegalArgumentException when the groups would not be equal (C odd above 1 and
     *     below 64, or C above 64 and not a multiple of 32)
     */
    public static int groups(long channels) {
        if (channels < 1) {
            throw new IllegalArgumentException("group normalization needs at least one channel, got "
                    + channels);
        }
        long groups = Math.min(MAX_GROUPS, Math.max(1, channels / 2));
        if (channels % groups != 0) {
            throw new IllegalArgumentException("group normalization with min(32, C/2) groups needs"
                    + " a channel count (width) of 1, an even number up to 64 or a multiple of 32,"
                    + " got " + channels);
        }
        return (int) groups;
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        Shape shape = x.getShape();
        long channels = shape.get(1);
        NDArray grouped = x.reshape(new Shape(shape.get(0), groups(channels), -1));
        NDArray centered = grouped.sub(grouped.mean(new int[] {2}, true));
        NDArray variance = centered.square().mean(new int[] {2}, true);
        NDArray normalized = centered.div(variance.add(EPSILON).sqrt()).reshape(shape);
        Shape perChannel = channelShape(shape);
        NDArray scale = store.getValue(gamma, x.getDevice(), training).reshape(perChannel);
        NDArray shift = store.getValue(beta, x.getDevice(), training).reshape(perChannel);
        return new NDList(normalized.mul(scale).add(shift));
    }

    /** (1, C, 1, ..., 1): γ and β broadcast over the batch and the positions. */
    private static Shape channelShape(Shape input) {
        long[] dims = new long[input.dimension()];
        Arrays.fill(dims, 1);
        dims[1] = input.get(1);
        return new Shape(dims);
    }

    @Override
    protected void prepare(Shape[] inputShapes) {
        Shape input = inputShapes[0];
        if (input.dimension() < 2) {
            throw new IllegalArgumentException(
                    "group normalization needs inputs [N, C, ...], got " + input);
        }
        groups(input.get(1));
        gamma.setShape(new Shape(input.get(1)));
        beta.setShape(new Shape(input.get(1)));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
