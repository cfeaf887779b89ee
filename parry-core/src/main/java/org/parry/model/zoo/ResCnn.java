package org.parry.model.zoo;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import java.util.List;

/**
 * The CNN baseline of Yan, Du, Tan and Feng, "On Robustness of Neural Ordinary Differential
 * Equations" (ICLR 2020): the {@link OdeNetworks} frame whose body is one residual block
 * z + f(z), with f the same layers as TisODE's time-invariant {@link OdeFunction} (conv 3×3
 * without bias, GN, act, twice). It is a single Euler step of size 1 of the ODE, so comparing it
 * with odenet and tisode isolates what the continuous-time block adds.
 */
public final class ResCnn implements Architecture {

    @Override
    public String id() {
        return "res-cnn";
    }

    @Override
    public String description() {
        return "residual CNN baseline of TisODE (Yan et al. 2020): conv3x3, GN, conv4x4/2, GN,"
                + " z + f(z), GAP, fc-K (width = channels, default 32)";
    }

    @Override
    public int defaultWidth() {
        return OdeNetworks.DEFAULT_WIDTH;
    }

    @Override
    public Block build(Shape inputShape, int numClasses, ArchitectureOptions options) {
        Block residual = new ParallelBlock(
                branches -> new NDList(branches.get(0).singletonOrThrow()
                        .add(branches.get(1).singletonOrThrow())),
                List.of(OdeFunction.timeInvariant(options.width(), options.activation()),
                        Blocks.identityBlock()));
        return OdeNetworks.build(residual, options, numClasses);
    }
}
