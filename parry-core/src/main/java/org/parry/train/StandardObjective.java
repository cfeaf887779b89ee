package org.parry.train;

import ai.djl.ndarray.NDArray;
import org.parry.loss.CrossEntropyLoss;

/** Empirical risk minimization: the mean cross-entropy of the clean batch. */
public final class StandardObjective implements TrainingObjective {

    @Override
    public String name() {
        return "standard";
    }

    @Override
    public StepLoss loss(TrainingNetwork network, PreparedBatch prepared) {
        NDArray logits = network.logits(prepared.x());
        NDArray loss = CrossEntropyLoss.get().perSample(logits, prepared.y()).mean();
        return new StepLoss(loss, logits, prepared.y());
    }
}
