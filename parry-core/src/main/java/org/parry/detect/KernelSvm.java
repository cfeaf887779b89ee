package org.parry.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Support vector classifiers with the Gaussian (RBF) kernel, the C-SVC of Cortes and Vapnik
 * ("Support-vector networks", Machine Learning 1995), trained in double precision by sequential
 * minimal optimization (Platt 1998) with LIBSVM's second-order working-set selection (Fan, Chen
 * and Lin, "Working set selection using second order information for training support vector
 * machines", JMLR 2005). For labels y_i ∈ {−1, +1} and K(a, b) = exp(−γ‖a − b‖²), the dual
 * <pre>
 *   min_α ½ αᵀQα − Σ_i α_i     subject to  Σ_i y_i α_i = 0,  0 ≤ α_i ≤ C,   Q_ij = y_i y_j K(x_i, x_j)
 * </pre>
 * is solved to LIBSVM's tolerance (the largest KKT violation below 10⁻³), and the decision value is
 * <pre>
 *   f(x) = Σ_i α_i y_i K(x_i, x) + b
 * </pre>
 * with b LIBSVM's: the mean over the free α_i (0 < α_i < C, where y_i f(x_i) = 1) of the b that
 * puts x_i on its margin, else the middle of the interval the KKT conditions leave for b. Several problems on the same points (one-vs-rest over classes) share one
 * kernel matrix and are kept as one model of M outputs: the union of their support vectors
 * [S, d] and a coefficient matrix [S, M], so that {@link #decision} computes one kernel matrix per
 * batch. A problem whose points all carry one label has the constant decision ±1. The same solver
 * and model give the ν-one-class SVM ({@link #oneClass}: all labels +1, f(x) = Σ_i α_i K(x_i, x)
 * − ρ).
 *
 * <p>Training holds the n × n kernel matrix in memory (8n² bytes: 32 MB at n = 2000); detectors
 * subsample their fitting data accordingly. {@link #decision} is written with NDArray operations
 * in the input's type, differentiable in x. Owns its arrays; close it.
 */
public final class KernelSvm implements AutoCloseable {

    /** LIBSVM's stopping tolerance on the largest KKT violation. */
    private static final double TOLERANCE = 1e-3;
    private static final double TAU = 1e-12;

    private final NDManager manager;
    private final NDArray vectors;
    private final NDArray coefficients;
    private final NDArray bias;
    private final double gamma;
    private final NDArray gammaArray;

    private KernelSvm(NDManager manager, NDArray vectors, NDArray coefficients, NDArray bias,
            double gamma) {
        this.manager = manager;
        this.vectors = vectors;
        this.coefficients = coefficients;
        this.bias = bias;
        this.gamma = gamma;
        this.gammaArray = manager.create(new double[] {gamma});
    }

    /**
     * One binary classifier.
     *
     * @param x [n, d] training points
     * @param positive per point, whether its label is +1
     * @param c the box constraint C > 0
     * @param gamma γ > 0
     */
    public static KernelSvm binary(NDArray x, boolean[] positive, double c, double gamma) {
        return fit(x, List.of(positive), c, gamma);
    }

    /**
     * One classifier per class, class k against the rest (+1 for label k), as outputs 0..K-1.
     *
     * @param labels per point, its class in [0, classes)
     */
    public static KernelSvm oneVsRest(NDArray x, int[] labels, int classes, double c,
            double gamma) {
        List<boolean[]> problems = new ArrayList<>();
        for (int k = 0; k < classes; k++) {
            boolean[] positive = new boolean[labels.length];
            for (int i = 0; i < labels.length; i++) {
                positive[i] = labels[i] == k;
            }
            problems.add(positive);
        }
        return fit(x, problems, c, gamma);
    }

    /**
     * scikit-learn's default γ, {@code gamma='scale'}: 1 / (d · Var(x)), the variance over every
     * coordinate of every point, so that γ‖a − b‖² is about 2 for two random points.
     */
    public static double scaleGamma(NDArray x) {
        try (NDManager scope = x.getManager().newSubManager()) {
            scope.tempAttachAll(x);
            NDArray values = x.toType(DataType.FLOAT64, false);
            double variance = values.sub(values.mean()).square().mean().getDouble();
            long d = x.getShape().get(1);
            return variance > 0 ? 1.0 / (d * variance) : 1.0;
        }
    }

    /**
     * The ν-one-class SVM of Schölkopf, Platt, Shawe-Taylor, Smola and Williamson ("Estimating the
     * support of a high-dimensional distribution", Neural Computation 2001), in LIBSVM's scaling
     * (scikit-learn's {@code OneClassSVM}): the dual
     * <pre>
     *   min_α ½ αᵀKα     subject to  0 ≤ α_i ≤ 1,  Σ_i α_i = ν n
     * </pre>
     * solved by the same SMO (all labels +1, C = 1, no linear term), started as LIBSVM starts it
     * (the first ⌊νn⌋ α_i at 1, the next at νn − ⌊νn⌋), with the decision value
     * <pre>
     *   f(x) = Σ_i α_i K(x_i, x) − ρ
     * </pre>
     * negative outside the estimated support. ν bounds the fraction of training points outside
     * (f &lt; 0) from above and the fraction of support vectors from below. One output.
     *
     * @param x [n, d] training points
     * @param nu ν in (0, 1)
     * @param gamma γ > 0
     */
    public static KernelSvm oneClass(NDArray x, double nu, double gamma) {
        requireNu(nu);
        requirePositive("gamma", gamma);
        Gram gram = Gram.of(x, gamma);
        int n = gram.n();
        double[] alpha = new double[n];
        double total = nu * n;
        int whole = (int) Math.min(n, Math.floor(total));
        Arrays.fill(alpha, 0, whole, 1);
        if (whole < n) {
            alpha[whole] = total - whole;
        }
        double[] y = new double[n];
        Arrays.fill(y, 1);
        double rho = solve(gram.matrix(), y, 1, alpha, new double[n]);
        return model(gram, new double[][] {alpha}, new double[] {-rho}, gamma);
    }

    /**
     * Checks ν: in (0, 1). At ν = 1 every α_i is at its bound 1 and no point fixes ρ (LIBSVM's ρ is
     * then infinite).
     */
    public static void requireNu(double nu) {
        if (!(nu > 0 && nu < 1)) {
            throw new IllegalArgumentException("svm: nu must be in (0, 1), got " + nu);
        }
    }

    private static KernelSvm fit(NDArray x, List<boolean[]> problems, double c, double gamma) {
        requirePositive("C", c);
        requirePositive("gamma", gamma);
        Gram gram = Gram.of(x, gamma);
        int n = gram.n();
        int outputs = problems.size();
        double[][] alphaY = new double[outputs][];
        double[] biases = new double[outputs];
        for (int m = 0; m < outputs; m++) {
            boolean[] positive = problems.get(m);
            if (positive.length != n) {
                throw new IllegalArgumentException("svm: " + positive.length + " labels for " + n
                        + " points");
            }
            alphaY[m] = new double[n];
            biases[m] = classify(gram.matrix(), positive, c, alphaY[m]);
        }
        return model(gram, alphaY, biases, gamma);
    }

    /**
     * The training points in float64 and their kernel matrix, row-major.
     *
     * @param points [n · d]
     * @param matrix the kernel matrix [n · n]
     */
    private record Gram(int n, int d, double[] points, double[] matrix) {

        static Gram of(NDArray x, double gamma) {
            if (x.getShape().dimension() != 2) {
                throw new IllegalArgumentException("svm: expected points [n, d], got "
                        + x.getShape());
            }
            try (NDManager scope = x.getManager().newSubManager()) {
                scope.tempAttachAll(x);
                NDArray values = x.toType(DataType.FLOAT64, false);
                return new Gram(Math.toIntExact(x.getShape().get(0)),
                        Math.toIntExact(x.getShape().get(1)), values.toDoubleArray(),
                        KernelSvm.kernel(values, values, gamma).toDoubleArray());
            }
        }
    }

    /** The model of the points with a non-zero coefficient in some output. */
    private static KernelSvm model(Gram gram, double[][] alphaY, double[] biases, double gamma) {
        int n = gram.n();
        int d = gram.d();
        int outputs = alphaY.length;
        int[] kept = IntStream.range(0, n)
                .filter(i -> Arrays.stream(alphaY).anyMatch(a -> a[i] != 0)).toArray();
        // A model without support vectors keeps one point with coefficient 0: shapes stay > 0.
        int size = Math.max(1, kept.length);
        double[] vectors = new double[size * d];
        double[] coefficients = new double[size * outputs];
        for (int s = 0; s < kept.length; s++) {
            System.arraycopy(gram.points(), kept[s] * d, vectors, s * d, d);
            for (int m = 0; m < outputs; m++) {
                coefficients[s * outputs + m] = alphaY[m][kept[s]];
            }
        }
        NDManager manager = NDManager.newBaseManager();
        return new KernelSvm(manager, manager.create(vectors, new Shape(size, d)),
                manager.create(coefficients, new Shape(size, outputs)), manager.create(biases),
                gamma);
    }

    /** Checks C or γ: finite and > 0. */
    public static void requirePositive(String name, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException("svm: " + name + " must be > 0, got " + value);
        }
    }

    /**
     * The C-SVC of one problem: writes α_i y_i into {@code alphaY} and returns b.
     *
     * @param kernel the n × n kernel matrix, row-major
     */
    private static double classify(double[] kernel, boolean[] positive, double c,
            double[] alphaY) {
        int n = positive.length;
        double[] y = new double[n];
        boolean anyPositive = false;
        boolean anyNegative = false;
        for (int i = 0; i < n; i++) {
            y[i] = positive[i] ? 1 : -1;
            anyPositive |= positive[i];
            anyNegative |= !positive[i];
        }
        if (!anyPositive || !anyNegative) {
            return anyPositive ? 1 : -1;
        }
        double[] alpha = new double[n];
        double[] linear = new double[n];
        Arrays.fill(linear, -1);
        double rho = solve(kernel, y, c, alpha, linear);
        for (int t = 0; t < n; t++) {
            alphaY[t] = alpha[t] * y[t];
        }
        return -rho;
    }

    /**
     * SMO on min_α ½ αᵀQα + pᵀα subject to yᵀα = yᵀα⁰ and 0 ≤ α ≤ C, Q_ij = y_i y_j K_ij, from the
     * feasible α⁰ in {@code alpha}, which it overwrites with the solution; returns LIBSVM's ρ.
     *
     * @param kernel the n × n kernel matrix, row-major
     * @param linear p
     */
    private static double solve(double[] kernel, double[] y, double c, double[] alpha,
            double[] linear) {
        int n = y.length;
        double[] gradient = linear.clone(); // G = Qα + p
        for (int i = 0; i < n; i++) {
            if (alpha[i] != 0) {
                for (int t = 0; t < n; t++) {
                    gradient[t] += y[t] * y[i] * kernel[i * n + t] * alpha[i];
                }
            }
        }
        long limit = Math.max(10_000_000L, 100L * n);
        for (long iteration = 0; iteration < limit; iteration++) {
            // Working set: i the most violating "up" index, j by the second-order gain.
            int i = -1;
            double gMax = Double.NEGATIVE_INFINITY;
            for (int t = 0; t < n; t++) {
                if (y[t] > 0 ? alpha[t] < c : alpha[t] > 0) {
                    double value = -y[t] * gradient[t];
                    if (value >= gMax) {
                        gMax = value;
                        i = t;
                    }
                }
            }
            int j = -1;
            double gMax2 = Double.NEGATIVE_INFINITY;
            double best = Double.POSITIVE_INFINITY;
            for (int t = 0; t < n && i >= 0; t++) {
                if (y[t] > 0 ? alpha[t] > 0 : alpha[t] < c) {
                    double value = y[t] * gradient[t];
                    gMax2 = Math.max(gMax2, value);
                    double difference = gMax + value;
                    if (difference > 0) {
                        double quadratic = 2 - 2 * kernel[i * n + t];
                        double gain = -difference * difference / (quadratic > 0 ? quadratic : TAU);
                        if (gain <= best) {
                            best = gain;
                            j = t;
                        }
                    }
                }
            }
            if (i < 0 || j < 0 || gMax + gMax2 < TOLERANCE) {
                break;
            }
            double qij = y[i] * y[j] * kernel[i * n + j];
            double oldI = alpha[i];
            double oldJ = alpha[j];
            if (y[i] != y[j]) {
                double quadratic = 2 + 2 * qij;
                double delta = (-gradient[i] - gradient[j]) / (quadratic > 0 ? quadratic : TAU);
                double diff = alpha[i] - alpha[j];
                alpha[i] += delta;
                alpha[j] += delta;
                if (diff > 0 ? alpha[j] < 0 : alpha[i] < 0) {
                    alpha[diff > 0 ? j : i] = 0;
                    alpha[diff > 0 ? i : j] = Math.abs(diff);
                }
                if (diff > 0 ? alpha[i] > c : alpha[j] > c) {
                    alpha[diff > 0 ? i : j] = c;
                    alpha[diff > 0 ? j : i] = c - Math.abs(diff);
                }
            } else {
                double quadratic = 2 - 2 * qij;
                double delta = (gradient[i] - gradient[j]) / (quadratic > 0 ? quadratic : TAU);
                double sum = alpha[i] + alpha[j];
                alpha[i] -= delta;
                alpha[j] += delta;
                if (sum > c ? alpha[i] > c : alpha[j] < 0) {
                    alpha[i] = sum > c ? c : sum;
                    alpha[j] = sum > c ? sum - c : 0;
                }
                if (sum > c ? alpha[j] > c : alpha[i] < 0) {
                    alpha[j] = sum > c ? c : sum;
                    alpha[i] = sum > c ? sum - c : 0;
                }
            }
            double deltaI = alpha[i] - oldI;
            double deltaJ = alpha[j] - oldJ;
            for (int t = 0; t < n; t++) {
                gradient[t] += y[t] * (y[i] * kernel[i * n + t] * deltaI
                        + y[j] * kernel[j * n + t] * deltaJ);
            }
        }
        return rho(alpha, y, gradient, c);
    }

    /** LIBSVM's ρ = −b: the mean of y_i G_i over free α_i, else the middle of its bounds. */
    private static double rho(double[] alpha, double[] y, double[] gradient, double c) {
        double upper = Double.POSITIVE_INFINITY;
        double lower = Double.NEGATIVE_INFINITY;
        double sum = 0;
        int free = 0;
        for (int t = 0; t < alpha.length; t++) {
            double value = y[t] * gradient[t];
            boolean atUpper = alpha[t] >= c;
            boolean atLower = alpha[t] <= 0;
            if (atUpper ? y[t] < 0 : atLower && y[t] > 0) {
                upper = Math.min(upper, value);
            } else if (atUpper || atLower) {
                lower = Math.max(lower, value);
            } else {
                free++;
                sum += value;
            }
        }
        return free > 0 ? sum / free : (upper + lower) / 2;
    }

    /** K(a_i, b_j) = exp(−γ‖a_i − b_j‖²) for float64 [n, d] and [m, d]: [n, m]. */
    private static NDArray kernel(NDArray a, NDArray b, double gamma) {
        NDArray squaredA = a.square().sum(new int[] {1}, true);
        NDArray squaredB = b.square().sum(new int[] {1}).expandDims(0);
        NDArray distances = squaredA.add(squaredB).sub(a.matMul(b.transpose()).mul(2)).maximum(0);
        return distances.mul(-gamma).exp();
    }

    /**
     * The decision values of a batch, f_m(x) per output m, computed in {@code x}'s type (float64
     * for the exact values, float32 inside a gradient: DJL's type casts cut the autograd graph);
     * differentiable in {@code x}.
     *
     * @param x [N, d] points
     * @return [N, M] of {@code x}'s type, in {@code x}'s manager
     */
    public NDArray decision(NDArray x) {
        if (x.getShape().dimension() != 2 || x.getShape().get(1) != vectors.getShape().get(1)) {
            throw new IllegalArgumentException("svm: expected points [N, "
                    + vectors.getShape().get(1) + "], got " + x.getShape());
        }
        NDManager caller = x.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(x);
            DataType type = x.getDataType();
            NDArray values = kernel(x, in(vectors, type, scope), gamma)
                    .matMul(in(coefficients, type, scope)).add(in(bias, type, scope));
            values.attach(caller);
            return values;
        }
    }

    /**
     * A copy of one of the SVM's arrays in {@code type}, in {@code scope}: an operation's result
     * lives in its first operand's manager, so a cast or kernel of the SVM's own arrays would
     * otherwise pile up in the SVM's manager at every call.
     */
    private static NDArray in(NDArray array, DataType type, NDManager scope) {
        NDArray copy = array.toType(type, true);
        copy.attach(scope);
        return copy;
    }

    /** M, the number of outputs. */
    public int outputs() {
        return Math.toIntExact(coefficients.getShape().get(1));
    }

    /** γ. */
    public double gamma() {
        return gamma;
    }

    /** The support vectors [S, d], float64. */
    public NDArray supportVectors() {
        return vectors;
    }

    /** α_i y_i per support vector and output, [S, M], float64. */
    public NDArray coefficients() {
        return coefficients;
    }

    /** b per output, [M], float64. */
    public double[] bias() {
        return bias.toDoubleArray();
    }

    /** Puts this model's arrays into {@code arrays}, their names starting with {@code prefix}. */
    public void put(Map<String, NDArray> arrays, String prefix) {
        arrays.put(prefix + "vectors", vectors);
        arrays.put(prefix + "coefficients", coefficients);
        arrays.put(prefix + "bias", bias);
        arrays.put(prefix + "gamma", gammaArray);
    }

    /** Reads back what {@link #put} wrote, from arrays {@link DetectorArrays#load} read. */
    public static KernelSvm read(Map<String, NDArray> arrays, String prefix, Path directory)
            throws IOException {
        NDManager manager = NDManager.newBaseManager();
        try {
            NDArray vectors = DetectorArrays.require(arrays, prefix + "vectors", directory)
                    .duplicate();
            NDArray coefficients = DetectorArrays.require(arrays, prefix + "coefficients",
                    directory).duplicate();
            NDArray bias = DetectorArrays.require(arrays, prefix + "bias", directory).duplicate();
            double gamma = DetectorArrays.require(arrays, prefix + "gamma", directory)
                    .getDouble(0);
            vectors.attach(manager);
            coefficients.attach(manager);
            bias.attach(manager);
            return new KernelSvm(manager, vectors, coefficients, bias, gamma);
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
