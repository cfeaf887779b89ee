package org.parry.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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

    private GradientCheck() {}

    /**
     * The worst relative error over {@code directions} random directions.
     *
     * @param step the finite-difference step h (in pixel units, along a unit-L2 direction)
     * @return max over directions of |analytic - numeric| / max(||grad L(x)||_2, 1e-12)
     */
    public static double maxRelativeError(Classifier model, NDArray x, NDArray labels,
            LogitLoss loss, int directions, float step, long seed) {
        if (directions < 1) {
            throw new IllegalArgumentException("directions must be >= 1, got " + directions);
        }
        if (!(step > 0f)) {
            throw new IllegalArgumentException("step must be > 0, got " + step);
        }
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
