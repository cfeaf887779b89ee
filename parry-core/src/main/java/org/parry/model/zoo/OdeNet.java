package org.parry.model.zoo;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;

/**
 * The ODENet of Chen, Rubanova, Bettencourt and Duvenaud, "Neural Ordinary Differential
 * Equations" (NeurIPS 2018), in the MNIST form Yan, Du, Tan and Feng, "On Robustness of Neural
 * Ordinary Differential Equations" (ICLR 2020) evaluate: the {@link OdeNetworks} frame with an
 * {@link OdeBlock} body, dz/dt = f(t, z) with the time-dependent {@link OdeFunction}
 * (ConcatConv 3×3, GN, act, ConcatConv 3×3, GN, act) integrated from 0 to 1 by Euler steps of 0.1,
 * no regularizer.
 */
public final class OdeNet implements Architecture {

    @Override
    public String id() {
        return "odenet";
    }

    @Override
    public String description() {
        return "ODENet (Chen et al. 2018): conv3x3, GN, conv4x4/2, GN, ODE block dz/dt = f(t, z)"
                + " (Euler, 10 steps), GAP, fc-K (width = channels, default 32)";
    }

    @Override
    public int defaultWidth() {
        return OdeNetworks.DEFAULT_WIDTH;
    }

    @Override
    public Block build(Shape inputShape, int numClasses, ArchitectureOptions options) {
        OdeFunction f = OdeFunction.timeDependent(options.width(), options.activation());
        return OdeNetworks.build(OdeBlock.of(f, OdeBlock.DEFAULT_STEP), options, numClasses);
    }
}
