package org.parry.detect;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A detector of adversarial inputs (Aldahdooh et al., "Adversarial example detection for DNN
 * models: a review and experimental comparison", Artificial Intelligence Review 2022): a score per
 * input that grows with the evidence that the input is adversarial. Fitted once for a classifier
 * ({@link DetectorRegistry}), it is thresholded at a false-positive rate on held-out clean inputs
 * ({@link Threshold}, {@link CalibratedDetector}).
 *
 * <p>Scores are computed with NDArray operations, so that {@link #scoresForGradient} can run
 * inside a gradient collector: a detector-aware attack differentiates them ({@link
 * DetectorAwareClassifier}). A detector whose score has non-differentiable steps (a quantizer, a
 * median, a nearest-neighbour search) says so with {@link #differentiable()} and gives a stand-in
 * (BPDA, Athalye et al. 2018) in {@link #scoresForGradient}. Like classifiers, detectors are not
 * thread-safe.
 */
public interface Detector extends AutoCloseable {

    /** The registry name, e.g. {@code mahalanobis}. */
    String name();

    /** Every setting, as the detector's card and the report show them. */
    Map<String, Object> settings();

    /**
     * The scores of a batch.
     *
     * @param x [N, C, H, W] inputs in the classifier's bounds
     * @return [N] float32 scores attached to {@code x}'s manager (temporaries too: a caller scoring
     *     many batches runs each in a sub-manager); larger means more likely adversarial
     */
    NDArray scores(NDArray x);

    /**
     * Whether {@link #scoresForGradient} is the score itself, so that autograd gives its exact
     * gradient; false when it is a stand-in whose gradient approximates the score's (BPDA).
     */
    default boolean differentiable() {
        return true;
    }

    /**
     * The scores as a function autograd can differentiate with respect to {@code x}: the same
     * values as {@link #scores}, with any non-differentiable step's gradient replaced by its
     * stand-in's (BPDA). Runs inside the caller's gradient collector and opens none.
     */
    default NDArray scoresForGradient(NDArray x) {
        return scores(x);
    }

    /**
     * Writes what the detector learned (means, covariances, reference features, regression
     * weights) into {@code directory}, which exists; the card beside it is written by {@link
     * CalibratedDetector#save}. The registry's loader reads it back.
     */
    void save(Path directory) throws IOException;

    /** Releases the detector's arrays (not the classifier's, which the caller owns). */
    @Override
    default void close() {}
}
