package org.parry.train;

import ai.djl.ndarray.NDArray;
import java.util.function.UnaryOperator;
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
 */
public interface TrainingObjective {

    /** A short name for logs and model cards, e.g. {@code standard}. */
    String name();

    /**
     * Turns the data batch into what the loss sees, e.g. adversarial examples. The default keeps
     * the batch. Arrays must be created in the batch's manager.
     *
     * @param model the model being trained, in evaluation mode, for attacks to use
     */
    default Batch prepare(Classifier model, Batch batch) {
        return batch;
    }

    /**
     * The scalar loss of a prepared batch.
     *
     * @param network forward pass in training mode: [N, C, H, W] pixels to [N, K] logits
     */
    StepLoss loss(UnaryOperator<NDArray> network, Batch prepared);

    /**
     * @param loss scalar to minimize
     * @param logits [N, K] logits whose accuracy against {@code labels} the progress bar shows
     * @param labels [N] the labels {@code logits} are judged against
     */
    record StepLoss(NDArray loss, NDArray logits, NDArray labels) {}
}
