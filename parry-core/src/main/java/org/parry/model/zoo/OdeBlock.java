package org.parry.model.zoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Objects;
import java.util.Optional;

/**
 * A neural-ODE block (Chen, Rubanova, Bettencourt and Duvenaud, "Neural Ordinary Differential
 * Equations", NeurIPS 2018): the output is the solution at T = 1 of dz/dt = f(t, z), z(0) = input,
 * with f an {@link OdeFunction}. As in the reference code of Yan, Du, Tan and Feng, "On Robustness
 * of Neural Ordinary Differential Equations" (ICLR 2020, arXiv 1910.05513), the solver is
 * fixed-step Euler,
 *
 * <pre>
 *   z_{i+1} = z_i + Δt · f(t_i, z_i),   t_i = i·Δt,   output z(T) = z_{T/Δt}
 * </pre>
 *
 * and gradients flow by plain backpropagation through the unrolled steps (no adjoint method), so
 * the input gradients attacks see are exact: nothing here obfuscates gradients. Δt = 0.1 by
 * default (10 evaluations of f); it must divide T, and the block uses Δt = T / round(T / step)
 * in double precision, so that the steps add up to T exactly.
 *
 * <p><b>TisODE's steady-state regularizer</b> (optional, {@link SteadyState}): in training, the
 * trajectory is integrated on past the prediction time and the block reports
 *
 * <pre>
 *   L_ss = weight · mean( ∫_{t₁}^{t₂} |f(z(t))| dt ) ≈ weight · mean( Σ_{t₁ ≤ t_i < t₂} Δt·|f(z_i)| )
 * </pre>
 *
 * (mean over the batch and every feature; the official times are (0, 0.9, 1.0, 1.5): predict at
 * 1.0, regularize over [0.9, 1.5], weight 0.01) to the enclosing {@link SideOutputs} as a penalty
 * for the training loss. It pulls the trajectory towards a steady state near the prediction, so
 * that a small perturbation of z(0) moves z(T) less. The evaluations of f in [t₁, T) are those of
 * the prediction; only [T, t₂) costs extra steps (5 at Δt = 0.1). In evaluation mode, and in a
 * training pass run outside any {@code SideOutputs} scope (where nobody would read the penalty),
 * no extra step is taken; the prediction is the same either way. The paper switches the
 * regularizer on at epoch 5 of 100; Parry's runs last a few epochs, so it is on from the start.
 */
public final class OdeBlock extends AbstractBlock {

    /** The default Euler step Δt. */
    public static final float DEFAULT_STEP = 0.1f;
    /** The prediction time T. */
    public static final float END_TIME = 1f;

    private static final byte VERSION = 1;

    private final OdeFunction function;
    private final int steps;
    private final double dt;
    private final SteadyState steadyState;
    private final int regularizedFrom;
    private final int regularizedTo;

    private OdeBlock(OdeFunction function, float step, SteadyState steadyState) {
        super(VERSION);
        Objects.requireNonNull(function, "function");
        if (!(step > 0f && step <= END_TIME)) {
            throw new IllegalArgumentException("the Euler step must be in (0, " + END_TIME
                    + "], got " + step);
        }
        this.function = addChildBlock("function", function);
        this.steps = gridIndex(END_TIME, step);
        this.dt = (double) END_TIME / steps;
        this.steadyState = steadyState;
        this.regularizedFrom = steadyState == null ? 0 : gridIndex(steadyState.from(), step);
        this.regularizedTo = steadyState == null ? 0 : gridIndex(steadyState.to(), step);
    }

    /** dz/dt = f(t, z) integrated with Euler steps of {@code step}, without regularizer. */
    public static OdeBlock of(OdeFunction function, float step) {
        return new OdeBlock(function, step, null);
    }

    /** The same block reporting TisODE's steady-state penalty in training. */
    public static OdeBlock regularized(OdeFunction function, float step, SteadyState steadyState) {
        return new OdeBlock(function, step, Objects.requireNonNull(steadyState, "steadyState"));
    }

    /** k with time = k·step, for a time on the Euler grid. */
    private static int gridIndex(float time, float step) {
        double ratio = (double) time / step;
        long index = Math.round(ratio);
        if (Math.abs(ratio - index) > 1e-4 * Math.max(1, ratio)) {
            throw new IllegalArgumentException("the Euler step " + step + " must divide the end"
                    + " time " + END_TIME + " and the ends of the steady-state window; got time "
                    + time + " (e.g. use 0.1 or 0.05)");
        }
        return (int) index;
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray z = inputs.singletonOrThrow();
        Optional<SideOutputs> side = training && steadyState != null && steadyState.weight() > 0f
                ? SideOutputs.current()
                : Optional.empty();
        int last = side.isPresent() ? Math.max(steps, regularizedTo) : steps;
        NDArray prediction = z;
        NDArray absoluteSum = null;
        // a scalar of z's type: a Java double would promote a float32 penalty to float64
        NDArray dtArray = z.getManager().create(dt).toType(z.getDataType(), false);
        for (int i = 0; i < last; i++) {
            NDArray f = function.apply(store, z, (float) (i * dt), training);
            if (side.isPresent() && i >= regularizedFrom && i < regularizedTo) {
                absoluteSum = absoluteSum == null ? f.abs() : absoluteSum.add(f.abs());
            }
            z = z.add(f.mul(dtArray));
            if (i + 1 == steps) {
                prediction = z;
            }
        }
        if (absoluteSum != null) {
            NDArray penalty = absoluteSum.mean().mul(dtArray.mul(steadyState.weight()));
            side.get().addPenalty(penalty);
        }
        return new NDList(prediction);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType,
            Shape... inputShapes) {
        function.initialize(manager, dataType, inputShapes);
    }

    /**
     * TisODE's steady-state regularizer: weight · mean(∫_{from}^{to} |f(z(t))| dt), reported in
     * training. Both ends must lie on the Euler grid.
     *
     * @param from t₁ >= 0
     * @param to t₂ > t₁
     * @param weight the penalty's weight in the training loss, >= 0 (0 turns it off)
     */
    public record SteadyState(float from, float to, float weight) {

        /** The official training setting: regularize over [0.9, 1.5] with weight 0.01. */
        public static final SteadyState OFFICIAL = new SteadyState(0.9f, 1.5f, 0.01f);

        public SteadyState {
            if (!(from >= 0f) || !Float.isFinite(from)) {
                throw new IllegalArgumentException("the steady-state window must start at a time"
                        + " >= 0, got " + from);
            }
            if (!(to > from) || !Float.isFinite(to)) {
                throw new IllegalArgumentException("the steady-state window must end after it"
                        + " starts, got [" + from + ", " + to + "]");
            }
            if (!(weight >= 0f) || !Float.isFinite(weight)) {
                throw new IllegalArgumentException("the steady-state weight must be >= 0, got "
                        + weight);
            }
        }
    }
}
