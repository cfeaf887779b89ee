package org.parry.defense.purify;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * One of MagNet's detectors (Meng and Chen, ACM CCS 2017): a score per input that grows as the
 * input leaves the manifold of clean data, which {@link MagNet} compares with a threshold fitted
 * at a drop rate ({@link org.parry.detect.Threshold}). The shape a general detector interface will take: a name,
 * its settings, and scores for a batch.
 */
public interface MagNetDetector {

    /** A short name, unique within a MagNet, e.g. {@code error-I}. */
    String name();

    /** Every setting, as the card and the report show them. */
    Map<String, Object> settings();

    /**
     * The scores of a batch.
     *
     * @param x [N, C, H, W] pixels in [0, 1]
     * @return [N] float32 scores, in {@code x}'s manager (with the temporaries: a caller scoring
     *     many batches runs each in a sub-manager, as {@link MagNet} does); larger means further
     *     from the data
     */
    NDArray scores(NDArray x);
}
