package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/** Small batch utilities the attacks share. */
final class Batches {

    private Batches() {}

    /** Reshapes a per-sample [N] vector to broadcast against {@code like} [N, ...]. */
    static NDArray perSample(NDArray values, NDArray like) {
        long[] dims = new long[like.getShape().dimension()];
        Arrays.fill(dims, 1);
        dims[0] = like.getShape().get(0);
        return values.reshape(new Shape(dims));
    }

    /** The arrays without repeats, by identity (one array attached twice gets the wrong owner). */
    static NDList distinct(NDList arrays) {
        NDList unique = new NDList();
        for (NDArray array : arrays) {
            if (unique.stream().noneMatch(seen -> seen == array)) {
                unique.add(array);
            }
        }
        return unique;
    }
}
