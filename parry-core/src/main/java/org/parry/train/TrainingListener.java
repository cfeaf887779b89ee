package org.parry.train;

/**
 * Hears about training progress, e.g. to draw a progress bar. Every method may throw to stop
 * training; the last completed epoch's checkpoint stays on disk for {@code --resume}.
 */
public interface TrainingListener {

    /** A listener that ignores everything. */
    TrainingListener NONE = new TrainingListener() {};

    /** Training starts (or resumes) at {@code firstEpoch} (1-based). */
    default void onStart(int firstEpoch, int epochs, int batchesPerEpoch) {}

    /** After each step, with running means over the epoch so far. */
    default void onBatch(int epoch, int batch, int batchesPerEpoch, double loss, double accuracy,
            double imagesPerSecond) {}

    /** After each epoch, once its checkpoint is written. */
    default void onEpoch(EpochMetrics metrics) {}
}
