package org.parry.train;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import org.parry.data.Batch;
import org.parry.model.Classifier;

/**
 * What a training step minimizes. The seam for every defense that changes training: standard
 * cross-entropy, adversarial training (craft an attack on the batch, train on the result),
 * TRADES-style regularizers (compare clean and adversarial logits), distillation.
 *
 * <p>A step calls {@link #prepare} first, outside any gradient collector, with the model in
 * evaluation mode and its parameters frozen: this is where an objective runs an attack (which
 * opens its own collector, one per process being PyTorch's limit). The trainer then opens the
 * training collector and calls {@link #loss} with the network in training mode.
 *
 * <p>Randomness must come from the batch manager's random functions (PyTorch's generator, which
 * the trainer reseeds every epoch), so that a resumed run repeats an uninterrupted one.
 */
public interface TrainingObjective extends AutoCloseable {

    /** A short name for logs and model cards, e.g. {@code standard}. */
    String name();

    /** Every setting, defaults included, as model cards and {@code parry info} show them. */
    default Map<String, Object> settings() {
        return Map.of();
    }

    /** Called before each epoch's first step, e.g. for schedules that depend on the epoch. */
    default void startEpoch(int epoch, int epochs) {}

    /**
     * Turns the data batch into what the loss sees, e.g. adds adversarial examples. The default
     * keeps the batch. Arrays must be created in the batch's manager.
     *
     * @param model the model being trained, in evaluation mode, for attacks to use
     */
    default PreparedBatch prepare(Classifier model, Batch batch) {
        return PreparedBatch.of(batch);
    }

    /** The scalar loss of a prepared batch, computed with the network in training mode. */
    StepLoss loss(TrainingNetwork network, PreparedBatch prepared);

    /**
     * What the objective measured over the epoch so far (e.g. gradient passes per example), for
     * the epoch's metrics. Reset by {@link #startEpoch}.
     */
    default Map<String, Double> epochStatistics() {
        return Map.of();
    }

    /** Releases what the objective holds (e.g. source models); the default holds nothing. */
    @Override
    default void close() {}

    /**
     * @param loss scalar to minimize
     * @param logits [N, K] logits whose accuracy against {@code labels} the progress bar shows
     * @param labels [N] the labels {@code logits} are judged against
     */
    record StepLoss(NDArray loss, NDArray logits, NDArray labels) {}
}
