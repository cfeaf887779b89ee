package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import org.parry.model.Bounds;
import org.parry.norm.Norm;

/**
 * The exact projections FAB needs (Croce and Hein, ICML 2020, §3.1; the reference's
 * {@code fab_projections.py}): each sample's point t onto the hyperplane {u : ℓ(u) = 0},
 * ℓ(u) = c + w · (u - t), intersected with the model's box [l, u]^d ({@link Bounds}), in the L∞
 * or the L2 norm.
 *
 * <p>Flip the sign of w so that c &gt;= 0: the projection lowers ℓ by c, moving each coordinate
 * against sign(w_i) until it reaches the box, which it does after the "room" p_i = t_i - l
 * (w_i &gt; 0) or u - t_i (w_i &lt; 0). For a level λ &gt;= 0 the optimal point moves coordinate i
 * by
 * <pre>
 *   L∞:  m_i(λ) = min(λ, p_i)            (λ = the L∞ radius)
 *   L2:  m_i(λ) = min(λ |w_i|, p_i)      (KKT: the point clip(t - λ w, l, u))
 * </pre>
 * and lowers ℓ by Σ_i |w_i| m_i(λ) = Σ_i ω_i min(λ, β_i), with ω = |w|, β = p (L∞) or ω = w²,
 * β = p / |w| (L2): a nondecreasing, piecewise-linear function of λ. Sorting the breakpoints β
 * gives its value at each of them with two cumulative sums; the number k of breakpoints where it
 * is still below c locates the linear piece, on which λ = (c - Σ_{j&lt;k} ω_j β_j) / Σ_{j&gt;=k} ω_j
 * is solved in closed form. This replaces the reference's bisection over the same sorted
 * breakpoints by a count (same result, no loop), and costs one sort per sample.
 *
 * <p>When the hyperplane misses the box (c exceeds the largest possible decrease), every
 * coordinate moves all the way to the box: the box point where ℓ is closest to 0, as the reference
 * returns. Coordinates with |w_i| &lt;= 1e-12 do not move.
 */
final class FabProjections {

    /** |w_i| at or below this counts as 0 (the coordinate does not move). */
    static final float ZERO_WEIGHT = 1e-12f;
    /** Caps λ so that λ · 0 stays 0 (an infinite λ would make it NaN). */
    private static final float HUGE = 1e30f;

    private FabProjections() {}

    /**
     * Per sample, the displacement from t to its projection onto {ℓ = 0} ∩ box.
     *
     * @param norm {@link Norm#LINF} or {@link Norm#L2}
     * @param box the model's box
     * @param points t, [n, d], in the box
     * @param normal w, [n, d]
     * @param values c = ℓ(t), [n]
     * @return [n, d], u* - t
     */
    static NDArray displacement(Norm norm, Bounds box, NDArray points, NDArray normal,
            NDArray values) {
        if (norm != Norm.LINF && norm != Norm.L2) {
            throw new IllegalArgumentException("fab projections exist for linf and l2, got " + norm.id());
        }
        NDArray flip = values.gte(0f).toType(DataType.FLOAT32, false).mul(2f).sub(1f).reshape(-1, 1);
        NDArray w = normal.mul(flip);
        NDArray c = values.abs();
        NDArray magnitude = w.abs();
        NDArray live = magnitude.gt(ZERO_WEIGHT).toType(DataType.FLOAT32, false);
        NDArray room = NDArrays.where(w.gt(0f), points.sub(box.lower()),
                points.neg().add(box.upper())).maximum(0f).mul(live);
        NDArray direction = w.sign().mul(live).neg();
        if (norm == Norm.LINF) {
            NDArray level = level(magnitude.mul(live), room, c);
            return direction.mul(room.minimum(level.reshape(-1, 1)));
        }
        NDArray safe = NDArrays.where(live.gt(0f), magnitude, magnitude.onesLike());
        NDArray level = level(magnitude.square().mul(live), room.div(safe), c);
        return direction.mul(room.minimum(magnitude.mul(level.reshape(-1, 1))));
    }

    /**
     * Per sample, the smallest λ &gt;= 0 with Σ_i ω_i min(λ, β_i) = c, or a huge λ when even
     * λ = ∞ falls short.
     *
     * @param weights ω &gt;= 0, [n, d]
     * @param breakpoints β &gt;= 0, [n, d]
     * @param target c &gt;= 0, [n]
     * @return λ, [n]
     */
    static NDArray level(NDArray weights, NDArray breakpoints, NDArray target) {
        long n = weights.getShape().get(0);
        NDArray order = breakpoints.argSort(1);
        NDArray b = breakpoints.gather(order, 1);
        NDArray w = weights.gather(order, 1);
        NDArray zero = weights.getManager().zeros(new ai.djl.ndarray.types.Shape(n, 1));
        // below[k] = Σ_{j<k} ω_j β_j, the decrease from the k smallest breakpoints, saturated.
        NDArray below = NDArrays.concat(new NDList(zero, w.mul(b).cumSum(1)), 1);
        // above[k] = Σ_{j>=k} ω_j, the slope while the others still move (exactly 0 at k = d).
        NDArray above = NDArrays.concat(new NDList(w.flip(1).cumSum(1).flip(1), zero), 1);
        long d = weights.getShape().get(1);
        NDArray atBreakpoints = below.get(":, 1:").add(b.mul(above.get(":, 1:")));
        NDArray k = atBreakpoints.lt(target.reshape(-1, 1)).toType(DataType.INT64, false)
                .sum(new int[] {1}).minimum(d).reshape(-1, 1);
        NDArray offset = below.gather(k, 1).reshape(-1);
        NDArray slope = above.gather(k, 1).reshape(-1);
        return target.sub(offset).div(slope.maximum(1e-30f)).maximum(0f).minimum(HUGE);
    }
}
