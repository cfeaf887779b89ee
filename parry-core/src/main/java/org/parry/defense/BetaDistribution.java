package org.parry.defense;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Exact draws from Beta(a, b) on PyTorch's generator (DJL has no Beta or Gamma sampler):
 * X = G_a / (G_a + G_b) with independent G_a ~ Gamma(a, 1) and G_b ~ Gamma(b, 1). Each Gamma draw
 * is Marsaglia and Tsang's rejection method ("A simple method for generating gamma variables",
 * ACM TOMS 26(3), 2000): for shape s ≥ 1, d = s − 1/3, c = 1/√(9d); draw z ~ N(0, 1) and
 * u ~ U(0, 1], v = (1 + cz)³, accept d·v when v > 0 and log u < z²/2 + d − d·v + d·log v. For
 * s < 1 it draws Gamma(s + 1) and multiplies by u^(1/s). All samples are drawn at once and the
 * rejected ones redrawn (acceptance ≥ 95 % for s ≥ 1), in float64 so that u^(1/s) does not
 * underflow for small shapes.
 */
final class BetaDistribution {

    private BetaDistribution() {}

    /**
     * @param a first shape, > 0
     * @param b second shape, > 0
     * @param n how many draws
     * @return [n] float32 draws in [0, 1], in {@code manager}
     */
    static NDArray sample(NDManager manager, float a, float b, int n) {
        Require.positive("a", a);
        Require.positive("b", b);
        NDArray first = gamma(manager, a, n);
        NDArray second = gamma(manager, b, n);
        return first.div(first.add(second)).toType(DataType.FLOAT32, false);
    }

    /** [n] float64 draws from Gamma(shape, 1). */
    private static NDArray gamma(NDManager manager, float shape, int n) {
        double s = shape < 1f ? shape + 1.0 : shape;
        double d = s - 1.0 / 3.0;
        double c = 1.0 / Math.sqrt(9.0 * d);
        Shape size = new Shape(n);
        NDArray result = manager.zeros(size, DataType.FLOAT64);
        NDArray pending = manager.ones(size, DataType.BOOLEAN);
        while (pending.any().getBoolean()) {
            NDArray z = manager.randomNormal(0f, 1f, size, DataType.FLOAT64);
            NDArray u = openAtZero(manager, size);
            NDArray v = z.mul(c).add(1.0).pow(3);
            NDArray bound = z.square().mul(0.5).add(d).sub(v.mul(d)).add(v.log().mul(d));
            NDArray accept = v.gt(0).logicalAnd(u.log().lt(bound)).logicalAnd(pending);
            result = NDArrays.where(accept, v.mul(d), result);
            pending = pending.logicalAnd(accept.logicalNot());
        }
        if (shape < 1f) {
            result = result.mul(openAtZero(manager, size).pow(1.0 / shape));
        }
        return result;
    }

    /** U(0, 1], so that its logarithm is finite. */
    private static NDArray openAtZero(NDManager manager, Shape size) {
        return manager.randomUniform(0f, 1f, size, DataType.FLOAT64).neg().add(1.0);
    }
}
