package org.parry.model.zoo;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;

/**
 * TisODE, the time-invariant steady neural ODE of Yan, Du, Tan and Feng, "On Robustness of Neural
 * Ordinary Differential Equations" (ICLR 2020, arXiv 1910.05513): the {@link OdeNetworks} frame
 * with an {@link OdeBlock} body, dz/dt = f(z) with the time-invariant {@link OdeFunction} (conv
 * 3×3 without bias, GN, act, twice), integrated from 0 to 1 by Euler, and the steady-state
 * regularizer {@code 0.01 · mean(∫_{0.9}^{1.5} |f(z(t))| dt)} reported in training
 * ({@link OdeBlock.SteadyState#OFFICIAL}; the trainer adds it to the loss).
 *
 * <p>Deviation: the paper's code uses Euler steps of 0.05; Parry uses 0.1, half the cost on a CPU
 * (10 steps to predict, 5 more in training), as defenses.md §2.4 advises. The regularizer is on
 * from the first epoch (the paper turns it on at epoch 5 of 100), see {@link OdeBlock}.
 */
public final class TisOde implements Architecture {

    @Override
    public String id() {
        return "tisode";
    }

    @Override
    public String description() {
        return "TisODE (Yan et al. 2020): the odenet frame with a time-invariant f(z), Euler step"
                + " 0.1, steady-state penalty in training (width = channels, default 32)";
    }

    @Override
    public int defaultWidth() {
        return OdeNetworks.DEFAULT_WIDTH;
    }

    @Override
    public Block build(Shape inputShape, int numClasses, ArchitectureOptions options) {
        OdeFunction f = OdeFunction.timeInvariant(options.width(), options.activation());
        return OdeNetworks.build(
                OdeBlock.regularized(f, OdeBlock.DEFAULT_STEP, OdeBlock.SteadyState.OFFICIAL),
                options, numClasses);
    }
}
