package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/** Small batch utilities the attacks share. */
final class Batches {

    private Batches() {}

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
