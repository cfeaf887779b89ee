package org.parry.model.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** GroupNorm(min(32, C/2), C) against a direct computation of its definition. */
class GroupNormTest {

    /**
     * C = 64 has 32 groups of 2 channels, C = 8 has 4 groups of 2 channels, C = 96 has 32 groups
     * of 3; random inputs with a per-sample offset and scale, random γ and β.
     */
    @ParameterizedTest
    @CsvSource({"64, FLOAT64", "8, FLOAT64", "96, FLOAT64", "64, FLOAT32"})
    void matchesABruteForceReference(int channels, DataType dataType) {
        Shape shape = new Shape(3, channels, 2, 3);
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(5);
            GroupNorm norm = new GroupNorm();
            norm.initialize(manager, dataType, shape);
            NDArray gamma = manager.randomNormal(new Shape(channels)).toType(dataType, false);
            NDArray beta = manager.randomNormal(new Shape(channels)).toType(dataType, false);
            norm.getParameters().get("gamma").getArray().set(new NDIndex("..."), gamma);
            norm.getParameters().get("beta").getArray().set(new NDIndex("..."), beta);
            NDArray x = manager.randomNormal(shape).mul(manager.create(new float[] {1f, 3f, 0.2f})
                    .reshape(3, 1, 1, 1)).add(2f).toType(dataType, false);

            double[] actual = norm.forward(new ParameterStore(manager, false), new NDList(x), false)
                    .singletonOrThrow().toType(DataType.FLOAT64, false).toDoubleArray();

            double[] expected = bruteForce(x.toType(DataType.FLOAT64, false).toDoubleArray(),
                    shape, GroupNorm.groups(channels),
                    gamma.toType(DataType.FLOAT64, false).toDoubleArray(),
                    beta.toType(DataType.FLOAT64, false).toDoubleArray());
            // float64 agrees to rounding; float32 carries ~1e-7 relative error per operation on
            // values of order 1-3
            double tolerance = dataType == DataType.FLOAT64 ? 1e-10 : 1e-5;
            for (int i = 0; i < expected.length; i++) {
                assertThat(actual[i]).as("element %d", i)
                        .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(tolerance));
            }
        }
    }

    /** y = γ (x - μ_g) / sqrt(σ²_g + ε) + β by loops over samples, groups and their elements. */
    private static double[] bruteForce(double[] x, Shape shape, int groups, double[] gamma,
            double[] beta) {
        int n = (int) shape.get(0);
        int channels = (int) shape.get(1);
        int positions = (int) (shape.get(2) * shape.get(3));
        int perGroup = channels / groups;
        double[] y = new double[x.length];
        for (int sample = 0; sample < n; sample++) {
            for (int group = 0; group < groups; group++) {
                double sum = 0;
                int count = perGroup * positions;
                for (int c = group * perGroup; c < (group + 1) * perGroup; c++) {
                    for (int p = 0; p < positions; p++) {
                        sum += x[(sample * channels + c) * positions + p];
                    }
                }
                double mean = sum / count;
                double squares = 0;
                for (int c = group * perGroup; c < (group + 1) * perGroup; c++) {
                    for (int p = 0; p < positions; p++) {
                        double d = x[(sample * channels + c) * positions + p] - mean;
                        squares += d * d;
                    }
                }
                double deviation = Math.sqrt(squares / count + 1e-5);
                for (int c = group * perGroup; c < (group + 1) * perGroup; c++) {
                    for (int p = 0; p < positions; p++) {
                        int i = (sample * channels + c) * positions + p;
                        y[i] = gamma[c] * (x[i] - mean) / deviation + beta[c];
                    }
                }
            }
        }
        return y;
    }

    @ParameterizedTest
    @CsvSource({"1, 1", "2, 1", "8, 4", "16, 8", "32, 16", "48, 24", "64, 32", "128, 32"})
    void usesTwoChannelsPerGroupUpTo32Groups(int channels, int groups) {
        assertThat(GroupNorm.groups(channels)).isEqualTo(groups);
    }

    @ParameterizedTest
    @CsvSource({"5", "100", "0"})
    void refusesUnequalGroups(int channels) {
        assertThatThrownBy(() -> GroupNorm.groups(channels))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got " + channels);
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> new GroupNorm().initialize(manager, DataType.FLOAT32,
                    new Shape(1, channels, 4, 4)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("got " + channels);
        }
    }
}
