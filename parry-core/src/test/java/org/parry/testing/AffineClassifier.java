package org.parry.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.parry.model.DifferentiableClassifier;

/**
 * A hand-built affine classifier z = W x + b for closed-form tests. With inputs in [0.3, 0.7] and
 * small ε the box never binds, and the exact answers are known:
 * sample (x, y) is robust at ε iff min_{k≠y} (z_y - z_k) / ||w_y - w_k||_q > ε, q the dual norm
 * (1 for L∞, 2 for L2); the minimal L2 adversarial distance is min_k (z_y - z_k) / ||w_y - w_k||_2.
 */
public final class AffineClassifier extends DifferentiableClassifier {

    private final float[][] weights;
    private final float[] bias;
    private final NDManager manager;
    private final NDArray weightsTransposed;
    private final NDArray biasArray;

    public AffineClassifier(float[][] weights, float[] bias, Shape inputShape) {
        super("affine", inputShape, weights.length);
        this.weights = weights;
        this.bias = bias;
        this.manager = NDManager.newBaseManager();
        int d = weights[0].length;
        float[] flat = new float[weights.length * d];
        for (int k = 0; k < weights.length; k++) {
            System.arraycopy(weights[k], 0, flat, k * d, d);
        }
        this.weightsTransposed = manager.create(flat, new Shape(weights.length, d)).transpose();
        this.biasArray = manager.create(bias);
    }

    /** Random weights N(0, 1/d)·scale, zero bias. */
    public static AffineClassifier random(int classes, Shape inputShape, float scale, long seed) {
        Random random = new Random(seed);
        int d = Math.toIntExact(inputShape.size());
        float[][] weights = new float[classes][d];
        for (float[] row : weights) {
            for (int j = 0; j < d; j++) {
                row[j] = (float) (random.nextGaussian() * scale / Math.sqrt(d));
            }
        }
        return new AffineClassifier(weights, new float[classes], inputShape);
    }

    /** n inputs uniform in [0.3, 0.7], where the box [0, 1] does not bind for ε <= 0.3. */
    public static float[][] data(int n, Shape inputShape, long seed) {
        Random random = new Random(seed);
        int d = Math.toIntExact(inputShape.size());
        float[][] x = new float[n][d];
        for (float[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = 0.3f + 0.4f * random.nextFloat();
            }
        }
        return x;
    }

    /** z(x) computed in double precision on the Java side. */
    public double[] logits(float[] x) {
        double[] z = new double[weights.length];
        for (int k = 0; k < weights.length; k++) {
            double sum = bias[k];
            for (int j = 0; j < x.length; j++) {
                sum += (double) weights[k][j] * x[j];
            }
            z[k] = sum;
        }
        return z;
    }

    /** The predicted class of x. */
    public int predict(float[] x) {
        double[] z = logits(x);
        int best = 0;
        for (int k = 1; k < z.length; k++) {
            if (z[k] > z[best]) {
                best = k;
            }
        }
        return best;
    }

    /**
     * The exact minimal distance to the decision boundary of class y in the norm whose dual is
     * q (q = 1 gives the L∞ distance, q = 2 the L2 distance): min_k (z_y - z_k) / ||w_y - w_k||_q.
     */
    public double minimalDistance(float[] x, int y, double q) {
        double[] z = logits(x);
        double best = Double.POSITIVE_INFINITY;
        for (int k = 0; k < weights.length; k++) {
            if (k == y) {
                continue;
            }
            double norm = 0;
            for (int j = 0; j < x.length; j++) {
                double w = weights[y][j] - weights[k][j];
                norm += q == 1 ? Math.abs(w) : w * w;
            }
            norm = q == 1 ? norm : Math.sqrt(norm);
            best = Math.min(best, (z[y] - z[k]) / norm);
        }
        return best;
    }

    /** The gradient of CE at x, label y, computed in closed form: W^T (softmax(z) - e_y). */
    public double[] crossEntropyGradient(float[] x, int y) {
        double[] z = logits(x);
        double max = java.util.Arrays.stream(z).max().orElseThrow();
        double sum = 0;
        double[] p = new double[z.length];
        for (int k = 0; k < z.length; k++) {
            p[k] = Math.exp(z[k] - max);
            sum += p[k];
        }
        double[] gradient = new double[x.length];
        for (int k = 0; k < z.length; k++) {
            double coefficient = p[k] / sum - (k == y ? 1 : 0);
            for (int j = 0; j < x.length; j++) {
                gradient[j] += coefficient * weights[k][j];
            }
        }
        return gradient;
    }

    @Override
    protected NDArray forward(NDArray x, boolean forGradient) {
        long n = x.getShape().get(0);
        return x.reshape(n, -1).matMul(weightsTransposed).add(biasArray);
    }

    @Override
    public void close() {
        manager.close();
    }
}
