package org.parry.defense;

import ai.djl.ndarray.NDArray;
import org.parry.loss.CrossEntropyLoss;
import org.parry.train.PreparedBatch;
import org.parry.train.TrainingNetwork;
import org.parry.train.TrainingObjective.StepLoss;

/** α·CE(f(x), y) + (1 − α)·CE(f(x'), y), the loss of Goodfellow's and Tramèr's objectives. */
final class Mixed {

    private Mixed() {}

    /**
     * Two forward passes (clean, adversarial) so that BatchNorm sees each batch as in the papers;
     * the progress bar shows the accuracy on the adversarial half.
     */
    static StepLoss loss(TrainingNetwork network, PreparedBatch prepared, float cleanWeight) {
        NDArray adversarialLogits = network.logits(prepared.requireAdversarial());
        NDArray loss = CrossEntropyLoss.get().perSample(adversarialLogits, prepared.y()).mean()
                .mul(1f - cleanWeight);
        if (cleanWeight > 0f) {
            NDArray cleanLogits = network.logits(prepared.x());
            loss = loss.add(CrossEntropyLoss.get().perSample(cleanLogits, prepared.y()).mean()
                    .mul(cleanWeight));
        }
        return new StepLoss(loss, adversarialLogits, prepared.y());
    }
}
