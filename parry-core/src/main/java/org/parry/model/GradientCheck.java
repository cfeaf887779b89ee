package org.parry.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.parry.loss.LogitLoss;

/**
 * Compares a classifier's input gradient with central finite differences along the gradient's own
 * direction (which catches a wrong scale) and random directions (which catch a wrong direction):
 * for a unit direction d, {@code <grad L(x), d>} should equal {@code (L(x + h d) - L(x - h d)) / 2h}
 * where L is the summed per-sample loss. The error is measured relative to the gradient's norm, the
 * largest directional derivative any unit direction can show, so a direction nearly orthogonal to
 * the gradient cannot inflate it. Used by the tests of every model and by the evaluation's
 * gradient-health sanity check: a wrong or masked gradient shows as a large relative error.
 */
public final class GradientCheck {

    private static final float GENERIC_MIX = 1e-2f;
    /** The median of a chi-square variable with one degree of freedom. */
    private static final double CHI_SQUARE_MEDIAN = 0.454936;

    private GradientCheck() {}

    /**
     * The worst relative error over {@code directions} random directions.
     *
     * @param step the finite-difference step h (in pixel units, along a unit-L2 direction)
     * @return max over directions of |analytic - numeric| / max(||grad L(x)||_2, 1e-12)
     */
    public static double maxRelativeError(Classifier model, NDArray x, NDArray labels,
            LogitLoss loss, int directions, float step, long seed) {
        requireSettings(directions, step);
        Random random = new Random(seed);
        double worst = 0;
        try (NDManager scope = x.getManager().newSubManager()) {
            scope.tempAttachAll(x, labels);
            NDArray gradient = model.lossGradient(x, labels, loss).gradient();
            double scale = Math.max(
                    gradient.toType(DataType.FLOAT64, false).norm().getDouble(), 1e-12);
            for (int i = 0; i < directions; i++) {
                NDArray direction = i == 0
                        ? gradient.div(scale)
                        : randomUnitDirection(scope, x, random);
                double analytic = gradient.mul(direction).sum().toType(DataType.FLOAT64, false)
                        .getDouble();
                double plus = summedLoss(model, x.add(direction.mul(step)), labels, loss);
                double minus = summedLoss(model, x.sub(direction.mul(step)), labels, loss);
                double numeric = (plus - minus) / (2.0 * step);
                worst = Math.max(worst, Math.abs(analytic - numeric) / scale);
            }
        }
        return worst;
    }

    /**
     * An estimate of ||g - grad L(x)|| / ||grad L(x)||, the relative error of the whole input
     * gradient g, from finite differences along many random directions, all in one batched
     * forward pass. For a unit direction d drawn uniformly from the sphere in R^D, the residual
     * r = {@code <g, d> - (L(x + h d) - L(x - h d)) / 2h} has E[r^2] = ||e||^2 / D where e is the
     * gradient's error, so sqrt(D * mean r^2) estimates ||e|| whatever its direction, where a few
     * directions (the gradient's own among them) could not see a kernel that is 15% off in a
     * random direction. The loss is taken in float64 from the
     * model's logits, so float32 rounding enters only through the logits. The check runs at a
     * point 1e-3 away from x where no pixels tie (see {@link #generic}), since at exactly tied
     * activations the loss is not differentiable and no gradient could pass.
     *
     * @param x the samples, [N, C, H, W]; the least confident make the clearest signal
     * @param directions random directions per sample (the estimate's own relative spread is
     *     about 1/sqrt(2 * directions * N))
     * @param step the finite-difference step h along each unit-L2 direction
     * @return the estimated relative error over the batch: sqrt(sum_n D * mean_k r_nk^2) /
     *     ||g||, NaN when the gradient or the loss is not finite
     */
    public static double estimatedRelativeError(Classifier model, NDArray x, NDArray labels,
            LogitLoss loss, int directions, float step, long seed) {
        requireSettings(directions, step);
        int n = Math.toIntExact(x.getShape().get(0));
        long dimension = x.getShape().size() / n;
        try (NDManager scope = x.getManager().newSubManager()) {
            scope.tempAttachAll(x, labels);
            Random random = new Random(seed);
            x = generic(x, random);
            NDArray gradient = model.lossGradient(x, labels, loss).gradient()
                    .toType(DataType.FLOAT64, false);
            // sample i of copy k sits at row k * n + i
            NDArray xs = copies(x, directions);
            NDArray ys = copies(labels, directions);
            NDArray d = randomUnitRows(scope, xs.getShape(), random);
            NDArray offset = d.mul(step).toType(x.getDataType(), false);
            NDArray plus = xs.add(offset);
            NDArray minus = xs.sub(offset);
            // the step actually taken, after rounding to the input's type
            NDArray taken = plus.toType(DataType.FLOAT64, false).sub(minus.toType(DataType.FLOAT64, false));
            NDArray analytic = copies(gradient, directions).mul(taken)
                    .reshape(n * directions, -1).sum(new int[] {1});
            NDArray numeric = perSampleLoss(model, plus, ys, loss)
                    .sub(perSampleLoss(model, minus, ys, loss));
            NDArray norms = copies(gradient.reshape(n, -1).norm(new int[] {1}), directions);
            NDArray r = analytic.sub(numeric).div(2.0 * step).div(norms.maximum(1e-12));
            if (!Double.isFinite(r.abs().max().getDouble())) {
                return Double.NaN;
            }
            double[] squares = r.mul(r).toDoubleArray();
            java.util.Arrays.sort(squares);
            double median = squares.length % 2 == 1 ? squares[squares.length / 2]
                    : (squares[squares.length / 2 - 1] + squares[squares.length / 2]) / 2;
            return Math.sqrt(dimension * median / CHI_SQUARE_MEDIAN);
        }
    }

    private static void requireSettings(int directions, float step) {
        if (directions < 1) {
            throw new IllegalArgumentException("directions must be >= 1, got " + directions);
        }
        if (!(step > 0f)) {
            throw new IllegalArgumentException("step must be > 0, got " + step);
        }
    }

    /**
     * (1 - 1e-3) x + 1e-3 u with u uniform in [0, 1]: a point next to x, in the box, where no two
     * pixels are equal. At an image with flat regions (Fashion-MNIST's background is exactly 0)
     * neighbouring activations tie exactly, max pooling and ReLU have a kink at x itself, and
     * finite differences in any direction see it: a trained small CNN measured a 32% "error" at
     * the data points (the same in float64) and 1e-3 at points 1e-3 away.
     */
    private static NDArray generic(NDArray x, Random random) {
        float[] noise = new float[Math.toIntExact(x.size())];
        for (int i = 0; i < noise.length; i++) {
            noise[i] = random.nextFloat();
        }
        NDArray u = x.getManager().create(noise, x.getShape()).toType(x.getDataType(), false);
        return x.mul(1 - GENERIC_MIX).add(u.mul(GENERIC_MIX));
    }

    /** {@code copies} copies of a batch stacked along the first axis. */
    private static NDArray copies(NDArray batch, int copies) {
        long[] repeats = new long[batch.getShape().dimension()];
        java.util.Arrays.fill(repeats, 1);
        repeats[0] = copies;
        return batch.tile(repeats);
    }

    /** Random unit-L2 rows (along the first axis) of the given shape, float64. */
    private static NDArray randomUnitRows(NDManager manager, Shape shape, Random random) {
        double[] values = new double[Math.toIntExact(shape.size())];
        for (int j = 0; j < values.length; j++) {
            values[j] = random.nextGaussian();
        }
        long rows = shape.get(0);
        NDArray flat = manager.create(values, new Shape(rows, shape.size() / rows));
        return flat.div(flat.norm(new int[] {1}, true)).reshape(shape);
    }

    private static NDArray perSampleLoss(Classifier model, NDArray x, NDArray labels,
            LogitLoss loss) {
        return loss.perSample(model.logits(x).toType(DataType.FLOAT64, false), labels);
    }

    private static NDArray randomUnitDirection(NDManager manager, NDArray x, Random random) {
        float[] values = new float[Math.toIntExact(x.size())];
        for (int j = 0; j < values.length; j++) {
            values[j] = (float) random.nextGaussian();
        }
        NDArray direction = manager.create(values, x.getShape()).toType(x.getDataType(), false);
        return direction.div(direction.norm());
    }

    private static double summedLoss(Classifier model, NDArray x, NDArray labels, LogitLoss loss) {
        NDArray perSample = loss.perSample(model.logits(x), labels);
        return perSample.toType(DataType.FLOAT64, false).sum().getDouble();
    }
}
