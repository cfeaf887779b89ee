package org.parry.norm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Locale;
import org.parry.model.Bounds;

/**
 * The Lp threat models, with everything an attack needs per sample: the distance, the
 * projection onto (ball ∩ the model's box, {@link Bounds}), the steepest-ascent step direction,
 * and a random start in the box.
 * Every method works on batches [N, ...] sample by sample, so one attack loop serves all norms.
 *
 * <p>Projections follow the references (Madry et al. 2018; Croce and Hein 2020): L∞ clips to
 * [x - ε, x + ε] then to the box, which is exact; L2 rescales the perturbation then clips to the
 * box (feasible, not the exact projection onto the intersection); L1 projects onto the L1 ball
 * exactly (Duchi et al., ICML 2008) then clips; L0 keeps the ε largest changes (ε = number of
 * coordinates) then clips. Clipping toward x only shrinks any Lp norm, so results are feasible.
 */
public enum Norm {

    /** Max-norm: every coordinate moves at most ε. */
    LINF("linf"),
    /** Euclidean norm. */
    L2("l2"),
    /** Sum of absolute changes. */
    L1("l1"),
    /** Number of changed coordinates (ε is a count). */
    L0("l0");

    private static final float TINY = 1e-12f;

    private final String id;

    Norm(String id) {
        this.id = id;
    }

    /** The name users type: {@code linf}, {@code l2}, {@code l1}, {@code l0}. */
    public String id() {
        return id;
    }

    /** Parses {@code linf|l2|l1|l0} (also {@code inf}, {@code Linf}). */
    public static Norm parse(String text) {
        String key = text.trim().toLowerCase(Locale.ROOT);
        for (Norm norm : values()) {
            if (norm.id.equals(key) || (norm == LINF && key.equals("inf"))) {
                return norm;
            }
        }
        throw new IllegalArgumentException("unknown norm '" + text + "'; choose linf, l2, l1 or l0");
    }

    /** Per-sample norm of a perturbation [N, ...] as [N]. */
    public NDArray of(NDArray delta) {
        NDArray flat = flatten(delta);
        return switch (this) {
            case LINF -> flat.abs().max(new int[] {1});
            case L2 -> flat.square().sum(new int[] {1}).sqrt();
            case L1 -> flat.abs().sum(new int[] {1});
            case L0 -> flat.abs().gt(0f).toType(DataType.FLOAT32, false).sum(new int[] {1});
        };
    }

    /** Per-sample distance between two batches, {@code ||a - b||} as [N]. */
    public NDArray distance(NDArray a, NDArray b) {
        return of(a.sub(b));
    }

    /**
     * Projects {@code candidate} onto the ε-ball around {@code x} intersected with {@code box}
     * (the model's {@link org.parry.model.Classifier#bounds()}).
     */
    public NDArray project(NDArray candidate, NDArray x, float epsilon, Bounds box) {
        NDArray projected = this == LINF
                ? candidate.minimum(x.add(epsilon)).maximum(x.sub(epsilon))
                : x.add(projectPerturbation(candidate.sub(x), epsilon));
        return box.clip(projected);
    }

    /**
     * Projects perturbations [N, ...] onto the ε-ball around 0, sample by sample, with no box (a
     * perturbation is not an image): L∞ clips to [-ε, ε], L2 rescales by min(1, ε / ||δ||_2), L1
     * and L0 as in {@link #project}. A universal perturbation's P_{p,ξ}.
     */
    public NDArray projectPerturbation(NDArray delta, float epsilon) {
        return switch (this) {
            case LINF -> delta.clip(-epsilon, epsilon);
            case L2 -> delta.mul(perSample(of(delta).add(TINY).pow(-1).mul(epsilon).minimum(1f), delta));
            case L1 -> projectL1(delta, epsilon);
            case L0 -> keepLargest(delta, Math.round(epsilon));
        };
    }

    /**
     * The unit-norm steepest-ascent direction for a gradient: sign(g) for L∞, g/||g||_2 for L2,
     * for L1 a sparse direction over the largest 1% of |g| (unit L1 norm), for L0 the single
     * largest coordinate's sign. sign(0) = 0.
     */
    public NDArray direction(NDArray gradient) {
        return switch (this) {
            case LINF -> gradient.sign();
            case L2 -> gradient.div(perSample(of(gradient).add(TINY), gradient));
            case L1 -> {
                int keep = Math.max(1, (int) (features(gradient) / 100));
                NDArray sparse = keepLargest(gradient, keep).sign();
                yield sparse.div(perSample(of(sparse).maximum(1f), sparse));
            }
            case L0 -> keepLargest(gradient, 1).sign();
        };
    }

    /**
     * A random point of the ε-ball around {@code x}, clipped to {@code box}: uniform in the cube
     * for L∞; a uniform direction with radius ε·U(0, 1) for L2 and L1 (as torchattacks); ε random
     * coordinates set to values uniform in the box for L0.
     */
    public NDArray randomStart(NDArray x, float epsilon, long seed, Bounds box) {
        NDManager manager = x.getManager();
        Shape shape = x.getShape();
        long n = shape.get(0);
        NDArray start = switch (this) {
            case LINF -> x.add(RandomNoise.uniform(manager, shape, -epsilon, epsilon, seed));
            case L2, L1 -> {
                NDArray direction = RandomNoise.gaussian(manager, shape, seed);
                if (this == L1) {
                    direction = direction.sign().mul(
                            RandomNoise.uniform(manager, shape, 0f, 1f, seed + 1).log().neg());
                }
                NDArray radius = RandomNoise.uniform(manager, new Shape(n), 0f, epsilon, seed + 2);
                yield x.add(direction.div(perSample(of(direction).add(TINY), direction))
                        .mul(perSample(radius, direction)));
            }
            case L0 -> {
                NDArray scores = RandomNoise.uniform(manager, shape, 0f, 1f, seed);
                NDArray mask = keepLargest(scores, Math.round(epsilon)).gt(0f);
                yield NDArrays.where(mask, RandomNoise.uniform(manager, shape, box.lower(),
                        box.upper(), seed + 1), x);
            }
        };
        return box.clip(start);
    }

    /** Whether each sample's perturbation is within ε (tolerance 1e-5, and 1e-3 relative for L2/L1). */
    public NDArray withinBall(NDArray xAdv, NDArray x, float epsilon) {
        float tolerance = this == LINF ? 1e-5f : Math.max(1e-5f, 1e-5f * epsilon);
        return distance(xAdv, x).lte(epsilon + tolerance);
    }

    private static long features(NDArray array) {
        return array.getShape().size() / array.getShape().get(0);
    }

    private static NDArray flatten(NDArray array) {
        return array.reshape(array.getShape().get(0), -1);
    }

    /** Reshapes a per-sample [N] vector to broadcast against {@code like} [N, ...]. */
    public static NDArray perSample(NDArray values, NDArray like) {
        long[] dims = new long[like.getShape().dimension()];
        java.util.Arrays.fill(dims, 1);
        dims[0] = like.getShape().get(0);
        return values.reshape(new Shape(dims));
    }

    /** Zeroes all but the k largest |v| coordinates of each sample. */
    private static NDArray keepLargest(NDArray v, int k) {
        long d = features(v);
        if (k >= d) {
            return v;
        }
        if (k <= 0) {
            return v.zerosLike();
        }
        NDArray magnitude = flatten(v).abs();
        NDArray threshold = magnitude.sort(1).get(new NDIndex(":, {}", d - k)).reshape(-1, 1);
        return flatten(v).mul(magnitude.gte(threshold)).reshape(v.getShape());
    }

    /** Exact Euclidean projection of each sample onto the L1 ball of radius ε (Duchi et al. 2008). */
    private static NDArray projectL1(NDArray delta, float epsilon) {
        NDArray flat = flatten(delta);
        NDArray magnitude = flat.abs();
        long d = magnitude.getShape().get(1);
        NDArray sorted = magnitude.sort(1).flip(1);
        NDArray cumulative = sorted.cumSum(1);
        NDArray ranks = delta.getManager().arange(1f, d + 1f).reshape(1, d);
        NDArray positive = sorted.sub(cumulative.sub(epsilon).div(ranks)).gt(0f);
        NDArray rho = positive.toType(DataType.INT64, false).sum(new int[] {1}).maximum(1);
        NDArray index = rho.sub(1).reshape(-1, 1);
        NDArray theta = cumulative.gather(index, 1).sub(epsilon)
                .div(rho.toType(DataType.FLOAT32, false).reshape(-1, 1)).maximum(0f);
        NDArray inside = magnitude.sum(new int[] {1}).lte(epsilon).reshape(-1, 1).broadcast(flat.getShape());
        NDArray shrunk = flat.sign().mul(magnitude.sub(theta).maximum(0f));
        return NDArrays.where(inside, flat, shrunk).reshape(delta.getShape());
    }
}
