package org.parry.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * L2-regularized logistic regression on a detector's few features (a KDE and an uncertainty, a
 * LID per layer, a Mahalanobis score per layer), the combiner every supervised detector of the
 * survey ends with (Feinman et al. 2017, Ma et al. 2018, Lee et al. 2018; their code uses
 * scikit-learn's {@code LogisticRegression(CV)}). With the features z scaled, s_j = (z_j − c_j) /
 * σ_j, either standardized (c = mean, σ = standard deviation) or min-max scaled (c = min, σ = max −
 * min; a constant feature gets σ = 1):
 * <pre>
 *   p(adversarial | z) = σ(u),   u = wᵀ s + b
 *   minimize  Σ_i [ log(1 + e^{u_i}) − y_i u_i ] + (λ/2) ‖w‖²     (the intercept b unpenalized)
 * </pre>
 * fitted by Newton's method (IRLS) in double precision: H = Sᵀ diag(p(1 − p)) S + λ I′, g = Sᵀ(p −
 * y) + λ w′, the step halved until the objective decreases. λ = 1 is scikit-learn's default (C =
 * 1/λ = 1); with λ > 0 the objective is strictly convex, so separable data gives finite weights.
 *
 * <p>{@link #logits} scores with NDArray operations (u = zᵀ(w/σ) + b − Σ_j w_j c_j/σ_j), so that a
 * detector's scores stay differentiable. Immutable.
 */
public final class LogisticRegression {

    /** How the features are scaled before the fit. */
    public enum Scaling {
        /** (z − mean) / standard deviation, scikit-learn's StandardScaler (KD+BU, Mahalanobis). */
        STANDARD,
        /** (z − min) / (max − min), scikit-learn's MinMaxScaler (LID). */
        MIN_MAX
    }

    private static final int MAX_ITERATIONS = 100;
    private static final double TOLERANCE = 1e-10;

    private final double[] center;
    private final double[] scale;
    private final double[] weights;
    private final double bias;

    private LogisticRegression(double[] center, double[] scale, double[] weights, double bias) {
        this.center = center;
        this.scale = scale;
        this.weights = weights;
        this.bias = bias;
    }

    /**
     * Fits the regression.
     *
     * @param features n rows of d features, all finite
     * @param positive whether each row is of the positive class (adversarial); both classes occur
     * @param scaling how the features are scaled
     * @param l2 λ > 0, the weight of ‖w‖²/2
     */
    public static LogisticRegression fit(double[][] features, boolean[] positive, Scaling scaling,
            double l2) {
        int n = features.length;
        if (n == 0 || positive.length != n) {
            throw new IllegalArgumentException("a logistic regression needs as many labels as"
                    + " feature rows, at least one, got " + n + " rows and " + positive.length
                    + " labels");
        }
        if (!(l2 > 0) || Double.isInfinite(l2)) {
            throw new IllegalArgumentException("l2 (the regression's λ) must be > 0 and finite,"
                    + " got " + l2 + " (1 is scikit-learn's default)");
        }
        int d = features[0].length;
        int positives = 0;
        for (int i = 0; i < n; i++) {
            if (features[i].length != d) {
                throw new IllegalArgumentException("feature row " + i + " has " + features[i].length
                        + " values, row 0 has " + d);
            }
            for (double v : features[i]) {
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException("feature row " + i + " holds " + v
                            + ": the detector's features must be finite");
                }
            }
            positives += positive[i] ? 1 : 0;
        }
        if (positives == 0 || positives == n) {
            throw new IllegalArgumentException("a logistic regression needs rows of both classes,"
                    + " got " + positives + " positive of " + n);
        }
        double[] center = new double[d];
        double[] scale = new double[d];
        scaling(features, scaling, center, scale);
        double[][] s = new double[n][d + 1]; // scaled features, then 1 for the intercept
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                s[i][j] = (features[i][j] - center[j]) / scale[j];
            }
            s[i][d] = 1;
        }
        double[] theta = newton(s, positive, l2);
        return new LogisticRegression(center, scale, java.util.Arrays.copyOf(theta, d), theta[d]);
    }

    private static void scaling(double[][] z, Scaling scaling, double[] center, double[] scale) {
        int n = z.length;
        for (int j = 0; j < center.length; j++) {
            double a = 0;
            double b = 0;
            if (scaling == Scaling.STANDARD) {
                for (double[] row : z) {
                    a += row[j];
                }
                a /= n;
                for (double[] row : z) {
                    b += (row[j] - a) * (row[j] - a);
                }
                b = Math.sqrt(b / n);
            } else {
                a = Double.POSITIVE_INFINITY;
                double max = Double.NEGATIVE_INFINITY;
                for (double[] row : z) {
                    a = Math.min(a, row[j]);
                    max = Math.max(max, row[j]);
                }
                b = max - a;
            }
            center[j] = a;
            scale[j] = b > 0 ? b : 1;
        }
    }

    /** Newton's method with step halving on the penalized negative log-likelihood. */
    private static double[] newton(double[][] s, boolean[] y, double l2) {
        int m = s[0].length;
        double[] theta = new double[m];
        double objective = objective(s, y, l2, theta);
        for (int iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
            double[] gradient = new double[m];
            double[][] hessian = new double[m][m];
            for (int i = 0; i < s.length; i++) {
                double p = sigmoid(dot(s[i], theta));
                double r = p - (y[i] ? 1 : 0);
                double w = p * (1 - p);
                for (int a = 0; a < m; a++) {
                    gradient[a] += r * s[i][a];
                    for (int b = 0; b <= a; b++) {
                        hessian[a][b] += w * s[i][a] * s[i][b];
                    }
                }
            }
            for (int a = 0; a < m - 1; a++) { // the intercept (last) is not penalized
                gradient[a] += l2 * theta[a];
                hessian[a][a] += l2;
            }
            hessian[m - 1][m - 1] += 1e-12 * s.length; // keeps H positive definite when p saturates
            double[] step = solve(hessian, gradient);
            double t = 1;
            double[] next = new double[m];
            double nextObjective;
            do {
                for (int a = 0; a < m; a++) {
                    next[a] = theta[a] - t * step[a];
                }
                nextObjective = objective(s, y, l2, next);
                t /= 2;
            } while (nextObjective > objective && t > 1e-12);
            double change = 0;
            for (int a = 0; a < m; a++) {
                change = Math.max(change, Math.abs(next[a] - theta[a]));
            }
            theta = next.clone();
            boolean converged = change < TOLERANCE * (1 + max(theta))
                    || objective - nextObjective <= 1e-15 * Math.abs(objective);
            objective = Math.min(objective, nextObjective);
            if (converged) {
                break;
            }
        }
        return theta;
    }

    /** Solves H x = g for a positive definite H given by its lower triangle (Cholesky). */
    private static double[] solve(double[][] h, double[] g) {
        int m = g.length;
        double[][] l = new double[m][m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j <= i; j++) {
                double sum = h[i][j];
                for (int k = 0; k < j; k++) {
                    sum -= l[i][k] * l[j][k];
                }
                l[i][j] = i == j ? Math.sqrt(Math.max(sum, Double.MIN_NORMAL)) : sum / l[j][j];
            }
        }
        double[] x = g.clone();
        for (int i = 0; i < m; i++) { // L v = g
            for (int k = 0; k < i; k++) {
                x[i] -= l[i][k] * x[k];
            }
            x[i] /= l[i][i];
        }
        for (int i = m - 1; i >= 0; i--) { // Lᵀ x = v
            for (int k = i + 1; k < m; k++) {
                x[i] -= l[k][i] * x[k];
            }
            x[i] /= l[i][i];
        }
        return x;
    }

    private static double objective(double[][] s, boolean[] y, double l2, double[] theta) {
        double total = 0;
        for (int i = 0; i < s.length; i++) {
            double u = dot(s[i], theta);
            // log(1 + e^u) - y u, computed without overflow
            total += Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u))) - (y[i] ? u : 0);
        }
        double penalty = 0;
        for (int a = 0; a < theta.length - 1; a++) {
            penalty += theta[a] * theta[a];
        }
        return total + l2 / 2 * penalty;
    }

    private static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    private static double max(double[] values) {
        double max = 0;
        for (double v : values) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    private static double sigmoid(double u) {
        return u >= 0 ? 1 / (1 + Math.exp(-u)) : Math.exp(u) / (1 + Math.exp(u));
    }

    /** d, the number of features. */
    public int dimension() {
        return weights.length;
    }

    /** The weights on the original (unscaled) features, w_j / σ_j. */
    public double[] rawWeights() {
        double[] raw = new double[weights.length];
        for (int j = 0; j < raw.length; j++) {
            raw[j] = weights[j] / scale[j];
        }
        return raw;
    }

    /** The intercept on the original features, b − Σ_j w_j c_j / σ_j. */
    public double rawBias() {
        double b = bias;
        for (int j = 0; j < weights.length; j++) {
            b -= weights[j] * center[j] / scale[j];
        }
        return b;
    }

    /**
     * The log-odds u of being adversarial, with NDArray operations that autograd differentiates.
     *
     * @param features [N, d] features
     * @return [N] log-odds, in {@code features}' manager and data type
     */
    public NDArray logits(NDArray features) {
        Shape shape = features.getShape();
        if (shape.dimension() != 2 || shape.get(1) != weights.length) {
            throw new IllegalArgumentException("the regression takes [N, " + weights.length
                    + "] features, got " + shape);
        }
        NDManager manager = features.getManager();
        NDArray w = manager.create(rawWeights(), new Shape(weights.length, 1))
                .toType(features.getDataType(), false);
        return features.matMul(w).squeeze(1).add(rawBias());
    }

    /** The regression's arrays, named {@code prefix + "center"} etc., for {@link DetectorArrays}. */
    public Map<String, NDArray> arrays(String prefix, NDManager manager) {
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        arrays.put(prefix + "center", manager.create(center));
        arrays.put(prefix + "scale", manager.create(scale));
        arrays.put(prefix + "weights", manager.create(weights));
        arrays.put(prefix + "bias", manager.create(new double[] {bias}));
        return arrays;
    }

    /** Reads back what {@link #arrays} gave. */
    public static LogisticRegression load(Map<String, NDArray> arrays, String prefix,
            Path directory) throws IOException {
        double[] center = doubles(DetectorArrays.require(arrays, prefix + "center", directory));
        double[] scale = doubles(DetectorArrays.require(arrays, prefix + "scale", directory));
        double[] weights = doubles(DetectorArrays.require(arrays, prefix + "weights", directory));
        double[] bias = doubles(DetectorArrays.require(arrays, prefix + "bias", directory));
        if (scale.length != center.length || weights.length != center.length
                || bias.length != 1) {
            throw new IOException(directory.resolve(DetectorArrays.FILE) + ": the regression '"
                    + prefix + "' has arrays of inconsistent sizes");
        }
        return new LogisticRegression(center, scale, weights, bias[0]);
    }

    private static double[] doubles(NDArray array) {
        return array.toType(DataType.FLOAT64, false).toDoubleArray();
    }
}
