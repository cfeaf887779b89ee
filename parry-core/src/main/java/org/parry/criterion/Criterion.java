package org.parry.criterion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * What counts as a successful adversarial example. Attacks take a criterion instead of a
 * "targeted" flag: {@link Misclassification} (any wrong class) or {@link
 * TargetedMisclassification} (a given class).
 */
public interface Criterion {

    /** The labels attacks aim at: true labels for untargeted, targets for targeted. [N] int. */
    NDArray labels();

    /** Whether success means reaching {@link #labels()} rather than leaving them. */
    boolean targeted();

    /** Per sample, whether logits [N, K] count as adversarial. [N] boolean. */
    NDArray isAdversarial(NDArray logits);

    /** The same criterion restricted to the samples at {@code indices} (int64 [M]). */
    Criterion subset(NDArray indices);

    /** Every array the criterion holds, e.g. to move them to another manager. */
    NDList arrays();

    /** Short name for reports: {@code misclassification} or {@code targeted}. */
    String name();
}
