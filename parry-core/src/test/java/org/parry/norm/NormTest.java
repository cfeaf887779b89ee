package org.parry.norm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.assertj.core.data.Offset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.parry.model.Bounds;

class NormTest {

    private static float epsilon(Norm norm) {
        return switch (norm) {
            case LINF -> 0.1f;
            case L2 -> 1.5f;
            case L1 -> 5f;
            case L0 -> 20f;
        };
    }

    @ParameterizedTest
    @EnumSource(Norm.class)
    void projectionAndRandomStartAreFeasible(Norm norm) {
        for (Bounds box : new Bounds[] {Bounds.UNIT, new Bounds(-1f, 1f)}) {
            try (NDManager manager = NDManager.newBaseManager()) {
                NDArray x = RandomNoise.uniform(manager, new Shape(8, 1, 10, 10), box.lower(),
                        box.upper(), 1);
                NDArray far = RandomNoise.gaussian(manager, x.getShape(), 2).mul(3f).add(x);
                float eps = epsilon(norm);
                for (NDArray point : new NDArray[] {norm.project(far, x, eps, box),
                        norm.randomStart(x, eps, 3, box)}) {
                    assertThat(point.min().getFloat()).isGreaterThanOrEqualTo(box.lower());
                    assertThat(point.max().getFloat()).isLessThanOrEqualTo(box.upper());
                    for (float distance : norm.distance(point, x).toFloatArray()) {
                        assertThat(distance).isLessThanOrEqualTo(eps * 1.00001f + 1e-6f);
                    }
                    assertThat(norm.withinBall(point, x, eps).all().getBoolean()).isTrue();
                }
                // A point already inside stays where it is.
                NDArray inside = norm.project(x, x, eps, box);
                assertThat(inside.toFloatArray()).containsExactly(x.toFloatArray());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Norm.class)
    void directionsHaveUnitNorm(Norm norm) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray gradient = RandomNoise.gaussian(manager, new Shape(4, 3, 5, 5), 7);
            float[] norms = norm.of(norm.direction(gradient)).toFloatArray();
            float expected = norm == Norm.LINF ? 1f : 1f;
            for (float value : norms) {
                assertThat(value).isCloseTo(expected, Offset.offset(1e-4f));
            }
            NDArray zero = manager.zeros(new Shape(2, 3, 5, 5));
            assertThat(norm.direction(zero).abs().sum().getFloat()).as("sign(0) = 0").isZero();
        }
    }

    @Test
    void l1ProjectionIsTheExactEuclideanProjection() {
        // Duchi et al. 2008 computed independently in double precision.
        float[] v = {0.9f, -0.4f, 0.05f, 0.3f, -0.8f, 0f};
        float eps = 1.2f;
        double[] sorted = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            sorted[i] = Math.abs(v[i]);
        }
        Arrays.sort(sorted);
        double cumulative = 0;
        double theta = 0;
        for (int k = 1; k <= v.length; k++) {
            double u = sorted[v.length - k];
            cumulative += u;
            if (u - (cumulative - eps) / k > 0) {
                theta = (cumulative - eps) / k;
            }
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray zero = manager.zeros(new Shape(1, 1, 1, 6)).add(0.5f);
            NDArray projected = Norm.L1.project(zero.add(manager.create(v, new Shape(1, 1, 1, 6)).mul(0.5f)), zero, eps * 0.5f,
                    Bounds.UNIT)
                    .sub(zero).mul(2f);
            float[] result = projected.toFloatArray();
            for (int i = 0; i < v.length; i++) {
                double expected = Math.signum(v[i]) * Math.max(Math.abs(v[i]) - theta, 0);
                assertThat(result[i]).isCloseTo((float) expected, Offset.offset(1e-5f));
            }
        }
    }

    @Test
    void parseNamesTheChoices() {
        assertThat(Norm.parse("Linf")).isEqualTo(Norm.LINF);
        assertThat(Norm.parse("inf")).isEqualTo(Norm.LINF);
        assertThat(Norm.parse("l2")).isEqualTo(Norm.L2);
        assertThatThrownBy(() -> Norm.parse("l3")).hasMessageContaining("choose linf, l2, l1 or l0");
    }
}
