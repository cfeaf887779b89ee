package org.parry.model.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.parry.model.Normalization;

/** odenet, tisode and res-cnn: the layers they claim, their options, and TisODE's penalty. */
class OdeArchitecturesTest {

    private static final Shape INPUT = new Shape(1, 28, 28);

    private static Block build(String name, ArchitectureOptions options, NDManager manager) {
        Block block = ModelZoo.build(name, INPUT, 10, options, Normalization.identity(1));
        block.initialize(manager, DataType.FLOAT32, new Shape(1).addAll(INPUT));
        return block;
    }

    private static long parameterCount(Block block) {
        return block.getParameters().values().stream()
                .mapToLong(p -> p.getArray().getShape().size()).sum();
    }

    /**
     * Parameter counts from the layer list, for width w, one input channel and K = 10:
     * extractor conv 3×3 (9w + w) + GN (2w) + conv 4×4 (16w² + w) + GN (2w); f: two 3×3
     * convolutions of w(w + 1)·9 + w (ConcatConv, with bias) or 9w² (no bias), two GNs (4w); head
     * 10w + 10; normalization layer: none. A missing bias, time channel or layer changes them.
     */
    @ParameterizedTest
    @CsvSource({"odenet, 8", "tisode, 8", "res-cnn, 8", "odenet, 32", "tisode, 64"})
    void parameterCountsFollowFromTheLayers(String name, int w) {
        long extractor = 9L * w + w + 2L * w + 16L * w * w + w + 2L * w;
        long f = name.equals("odenet") ? 2L * (9L * w * (w + 1) + w) + 4L * w : 2L * 9 * w * w + 4L * w;
        long head = 10L * w + 10;
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThat(parameterCount(build(name, ArchitectureOptions.ofWidth(w), manager)))
                    .isEqualTo(extractor + f + head);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"odenet", "tisode", "res-cnn"})
    void optionsChangeStrideAndActivationButNotTheOutput(String name) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomUniform(0f, 1f, new Shape(3, 1, 28, 28));
            ParameterStore store = new ParameterStore(manager, false);
            long relu = 0;
            for (Nonlinearity activation : Nonlinearity.values()) {
                if (activation.parametric()) {
                    continue; // sparta: only cnn3 hosts it
                }
                for (int stride : new int[] {1, 2}) {
                    Block block = build(name, new ArchitectureOptions(8, activation, stride), manager);
                    NDArray logits = block.forward(store, new NDList(x), false).singletonOrThrow();
                    assertThat(logits.getShape()).isEqualTo(new Shape(3, 10));
                    assertThat(logits.isInfinite().any().getBoolean()
                            || logits.isNaN().any().getBoolean()).isFalse();
                    long count = parameterCount(block);
                    relu = relu == 0 ? count : relu;
                    assertThat(count).as("%s, stride %d", activation, stride).isEqualTo(relu);
                }
            }
            assertThat(ModelZoo.get(name).defaultWidth()).isEqualTo(32);
            assertThat(ModelZoo.names()).contains(name);
        }
    }

    /** Only tisode reports a penalty, and only in a training pass. */
    @ParameterizedTest
    @CsvSource({"odenet, false", "tisode, true", "res-cnn, false"})
    void onlyTisodeReportsASteadyStatePenaltyInTraining(String name, boolean penalized) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = build(name, ArchitectureOptions.ofWidth(8), manager);
            ParameterStore store = new ParameterStore(manager, false);
            NDArray x = manager.randomUniform(0f, 1f, new Shape(2, 1, 28, 28));
            try (SideOutputs side = SideOutputs.open(manager.create(new int[] {1, 2}))) {
                block.forward(store, new NDList(x), false);
                assertThat(side.penalties()).isEmpty();
                block.forward(store, new NDList(x), true);
                assertThat(side.penalties()).hasSize(penalized ? 1 : 0);
                side.penalties().forEach(p -> assertThat(p.getFloat()).as("a float32 scalar")
                        .isPositive());
            }
        }
    }

    /** DJL's parameter files round-trip: GroupNorm's γ and β and the ODE blocks load back. */
    @ParameterizedTest
    @ValueSource(strings = {"odenet", "tisode", "res-cnn"})
    void savedParametersLoadIntoAFreshNetwork(String name) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(1);
            Block trained = build(name, ArchitectureOptions.ofWidth(8), manager);
            trained.getParameters().forEach(pair -> pair.getValue().getArray().addi(
                    manager.randomNormal(pair.getValue().getArray().getShape()).mul(0.1f)));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            trained.saveParameters(new DataOutputStream(bytes));
            Block fresh = build(name, ArchitectureOptions.ofWidth(8), manager);
            fresh.loadParameters(manager,
                    new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
            ParameterStore store = new ParameterStore(manager, false);
            NDArray x = manager.randomUniform(0f, 1f, new Shape(2, 1, 28, 28));
            assertThat(fresh.forward(store, new NDList(x), false).singletonOrThrow().toFloatArray())
                    .containsExactly(trained.forward(store, new NDList(x), false)
                            .singletonOrThrow().toFloatArray());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"odenet", "tisode", "res-cnn"})
    void aWidthGroupNormCannotSplitIsRefused(String name) {
        assertThatThrownBy(() -> ModelZoo.build(name, INPUT, 10, ArchitectureOptions.ofWidth(100),
                Normalization.identity(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("an even number up to 64 or a multiple of 32, got 100");
    }
}
