package org.parry.model.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.parry.engine.Backward;

/** The Euler solver, TisODE's steady-state penalty and the two forms of f (defenses.md §2.4). */
class OdeBlockTest {

    private static final int CHANNELS = 8;
    private static final Shape SHAPE = new Shape(2, CHANNELS, 5, 5);

    private NDManager manager;
    private ParameterStore store;
    private NDArray z0;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        manager.getEngine().setRandomSeed(3);
        store = new ParameterStore(manager, false);
        z0 = manager.randomNormal(SHAPE).toType(DataType.FLOAT64, false);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private <B extends Block> B initialized(B block) {
        block.initialize(manager, DataType.FLOAT64, SHAPE);
        return block;
    }

    private static OdeBlock tisode(float step) {
        return OdeBlock.regularized(OdeFunction.timeInvariant(CHANNELS, Nonlinearity.RELU), step,
                OdeBlock.SteadyState.OFFICIAL);
    }

    private static Parameter parameter(Block block, String suffix) {
        return block.getParameters().stream()
                .filter(pair -> pair.getKey().endsWith(suffix))
                .map(pair -> pair.getValue())
                .findFirst().orElseThrow(() -> new AssertionError("no parameter " + suffix));
    }

    /**
     * f ≡ c: the last GroupNorm with γ = 0 and β = c > 0 outputs c everywhere, and ReLU keeps it.
     */
    private static void makeConstant(Block block, double c) {
        parameter(block, "norm2_gamma").getArray().set(new NDIndex("..."), 0);
        parameter(block, "norm2_beta").getArray().set(new NDIndex("..."), c);
    }

    private NDArray forward(Block block, boolean training) {
        return block.forward(store, new NDList(z0), training).singletonOrThrow();
    }

    private static double maxDifference(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getDouble();
    }

    @ParameterizedTest
    @ValueSource(floats = {0.1f, 0.25f, 0.05f, 1f})
    void eulerWithAConstantFieldGivesZ0PlusCT(float step) {
        for (boolean timeDependent : new boolean[] {false, true}) {
            OdeFunction f = timeDependent
                    ? OdeFunction.timeDependent(CHANNELS, Nonlinearity.RELU)
                    : OdeFunction.timeInvariant(CHANNELS, Nonlinearity.RELU);
            OdeBlock block = initialized(OdeBlock.of(f, step));
            makeConstant(block, 0.3);
            NDArray expected = z0.add(0.3 * OdeBlock.END_TIME);
            // float64: 20 additions of 0.015 leave rounding of ~1e-15
            assertThat(maxDifference(forward(block, false), expected))
                    .as("step %s, time-dependent %s", step, timeDependent).isLessThan(1e-12);
        }
    }

    /**
     * The block is the recursion z_{i+1} = z_i + Δt f(t_i, z_i), t_i = i Δt, T/Δt times: a
     * time-dependent f with random weights (so that both the number of steps and the times passed
     * to f matter) against the recursion written out here.
     */
    @Test
    void theBlockIsTheUnrolledEulerRecursionWithTheRightTimes() {
        OdeFunction f = OdeFunction.timeDependent(CHANNELS, Nonlinearity.RELU);
        OdeBlock block = initialized(OdeBlock.of(f, 0.25f));
        NDArray z = z0;
        for (int i = 0; i < 4; i++) {
            z = z.add(f.apply(store, z, i * 0.25f, false).mul(0.25f));
        }
        NDArray output = forward(block, false);
        assertThat(maxDifference(output, z)).isLessThan(1e-12);
        NDArray shifted = z0;
        for (int i = 1; i <= 4; i++) {
            shifted = shifted.add(f.apply(store, shifted, i * 0.25f, false).mul(0.25f));
        }
        assertThat(maxDifference(output, shifted)).as("times shifted by one step")
                .isGreaterThan(1e-6);
    }

    @Test
    void theTimeInvariantFunctionIgnoresTAndTheTimeDependentOneDoesNot() {
        OdeFunction invariant = initialized(
                OdeFunction.timeInvariant(CHANNELS, Nonlinearity.RELU));
        OdeFunction dependent = initialized(
                OdeFunction.timeDependent(CHANNELS, Nonlinearity.RELU));
        NDArray at0 = invariant.apply(store, z0, 0f, false);
        for (float t : new float[] {0.3f, 1f, 7.5f}) {
            assertThat(invariant.apply(store, z0, t, false).contentEquals(at0)).as("t = %s", t)
                    .isTrue();
        }
        assertThat(maxDifference(dependent.apply(store, z0, 0f, false),
                dependent.apply(store, z0, 1f, false))).isGreaterThan(1e-4);
        assertThat(invariant.getParameters().keys()).noneMatch(name -> name.endsWith("bias"))
                .as("TisODE's convolutions have no bias");
        assertThatThrownBy(() -> dependent.forward(store, new NDList(z0), false))
                .hasMessageContaining("needs the inputs (z, t)");
        assertThat(dependent.forward(store, new NDList(z0, manager.create(1f)), false)
                .singletonOrThrow().contentEquals(dependent.apply(store, z0, 1f, false))).isTrue();
    }

    /**
     * With f ≡ c the penalty is weight · (t₂ - t₁) · c = 0.01 · 0.6 · 0.3 exactly (up to rounding):
     * the regularizer sums Δt |f| over the 6 steps of [0.9, 1.5], no more, no fewer.
     */
    @ParameterizedTest
    @CsvSource({"0.1", "0.05"})
    void thePenaltyOfAConstantFieldIsWeightTimesWindowTimesC(float step) {
        OdeBlock block = initialized(tisode(step));
        makeConstant(block, 0.3);
        try (SideOutputs side = SideOutputs.open(null)) {
            NDArray output = forward(block, true);
            assertThat(side.penalties()).hasSize(1);
            assertThat(side.penalties().get(0).getDataType()).isEqualTo(DataType.FLOAT64);
            assertThat(output.getDataType()).isEqualTo(DataType.FLOAT64);
            // relative 1e-6: the weight 0.01f is a float, 0.01 to a relative 1e-7
            assertThat(side.penalties().get(0).getDouble())
                    .isCloseTo(0.01 * 0.6 * 0.3, within(0.0018 * 1e-6));
            assertThat(maxDifference(output, z0.add(0.3))).as("the prediction stops at T = 1")
                    .isLessThan(1e-12);
        }
    }

    @Test
    void aSteadyStateHasZeroPenaltyAndAMovingTrajectoryAPositiveOne() {
        OdeBlock block = initialized(tisode(0.1f));
        double moving;
        try (SideOutputs side = SideOutputs.open(null)) {
            forward(block, true);
            moving = side.penalties().get(0).getDouble();
        }
        assertThat(moving).isPositive();
        // conv2 = 0 makes f(z) = relu(GN(0) · γ + β) = relu(β) = 0: every z is a steady state
        parameter(block, "conv2_weight").getArray().set(new NDIndex("..."), 0);
        try (SideOutputs side = SideOutputs.open(null)) {
            NDArray output = forward(block, true);
            assertThat(side.penalties()).hasSize(1);
            assertThat(side.penalties().get(0).getDouble()).isZero();
            assertThat(output.contentEquals(z0)).isTrue();
        }
    }

    @Test
    void thePenaltyIsReportedInTrainingOnlyAndThePredictionIsTheSameEverywhere() {
        OdeBlock block = initialized(tisode(0.1f));
        NDArray evaluation = forward(block, false);
        try (SideOutputs side = SideOutputs.open(null)) {
            assertThat(forward(block, false).contentEquals(evaluation)).isTrue();
            assertThat(side.penalties()).as("evaluation mode").isEmpty();
            assertThat(maxDifference(forward(block, true), evaluation)).isLessThan(1e-12);
            assertThat(side.penalties()).as("training mode").hasSize(1);
        }
        assertThat(SideOutputs.current()).isEmpty();
        assertThat(maxDifference(forward(block, true), evaluation))
                .as("training without a SideOutputs scope").isLessThan(1e-12);
        OdeBlock odenet = initialized(
                OdeBlock.of(OdeFunction.timeDependent(CHANNELS, Nonlinearity.RELU), 0.1f));
        try (SideOutputs side = SideOutputs.open(null)) {
            forward(odenet, true);
            assertThat(side.penalties()).as("ODENet has no regularizer").isEmpty();
        }
    }

    /** The penalty is part of the graph: its gradient reaches f's first convolution and z(0). */
    @Test
    void thePenaltyIsDifferentiable() {
        OdeBlock block = initialized(tisode(0.1f));
        NDArray z = z0.duplicate();
        z.setRequiresGradient(true);
        try (GradientCollector collector = Backward.collector();
                SideOutputs side = SideOutputs.open(null)) {
            block.forward(store, new NDList(z), true);
            Backward.run(collector, side.penalties().get(0));
        }
        assertThat(parameter(block, "conv1_weight").getArray().getGradient().abs().sum()
                .getDouble()).isPositive();
        assertThat(z.getGradient().abs().sum().getDouble()).isPositive();
    }

    @Test
    void badSettingsAreRefusedWithTheFix() {
        OdeFunction f = OdeFunction.timeInvariant(CHANNELS, Nonlinearity.RELU);
        assertThatThrownBy(() -> OdeBlock.of(f, 0.3f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the Euler step 0.3 must divide");
        assertThatThrownBy(() -> OdeBlock.of(f, 0f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Euler step must be in (0, 1.0], got 0.0");
        assertThatThrownBy(() -> OdeBlock.regularized(f, 0.1f,
                new OdeBlock.SteadyState(0.9f, 1.55f, 0.01f)))
                .hasMessageContaining("got time 1.55");
        assertThatThrownBy(() -> new OdeBlock.SteadyState(1.5f, 0.9f, 0.01f))
                .hasMessageContaining("must end after it starts, got [1.5, 0.9]");
        assertThatThrownBy(() -> new OdeBlock.SteadyState(0.9f, 1.5f, -1f))
                .hasMessageContaining("weight must be >= 0, got -1.0");
        assertThatThrownBy(() -> OdeFunction.timeInvariant(100, Nonlinearity.RELU))
                .hasMessageContaining("a multiple of 32, got 100");
    }
}
