package org.parry.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;

/**
 * Squared Euclidean distances between two sets of feature vectors, as the sum of squared
 * differences rather than ‖a‖² + ‖b‖² − 2aᵀb: a point's distance to itself is exactly 0 (LID
 * excludes it by that) and there is no cancellation in float32. The [N, chunk, D] differences are
 * formed a block of reference points at a time, so memory stays bounded. NDArray operations
 * throughout: differentiable with respect to both arguments.
 */
final class PairwiseDistances {

    /** The most floats one block of differences may hold. */
    private static final long BLOCK_FLOATS = 1L << 22;

    private PairwiseDistances() {}

    /**
     * @param points [N, D]
     * @param reference [M, D]
     * @return [N, M] squared distances, in {@code points}' manager
     */
    static NDArray squared(NDArray points, NDArray reference) {
        long n = points.getShape().get(0);
        long m = reference.getShape().get(0);
        long d = points.getShape().get(1);
        long chunk = Math.max(1, Math.min(m, BLOCK_FLOATS / Math.max(1, n * d)));
        NDArray left = points.expandDims(1);
        NDList blocks = new NDList();
        for (long from = 0; from < m; from += chunk) {
            // a slice of a detector's own array lives in its manager: move it to the caller's
            NDArray block = reference.get(new NDIndex(from + ":" + Math.min(m, from + chunk)));
            if (block == reference) {
                block = reference.duplicate();
            }
            block.attach(points.getManager());
            blocks.add(left.sub(block.expandDims(0)).square().sum(new int[] {2}));
        }
        return blocks.size() == 1 ? blocks.singletonOrThrow() : NDArrays.concat(blocks, 1);
    }

    /** [N, ...] features as [N, D]. */
    static NDArray flat(NDArray features) {
        return features.reshape(features.getShape().get(0), -1);
    }
}
