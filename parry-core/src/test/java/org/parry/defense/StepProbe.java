package org.parry.defense;

import org.parry.data.Batch;
import org.parry.model.Classifier;
import org.parry.train.PreparedBatch;
import org.parry.train.TrainingNetwork;
import org.parry.train.TrainingObjective;

/** Runs an objective and, on its first step, a check with the trainer's own network. */
final class StepProbe implements TrainingObjective {

    /** What a probe checks inside the trainer's step, with the objective's loss. */
    interface Check {
        void run(TrainingNetwork network, PreparedBatch prepared, TrainingObjective.StepLoss loss);
    }

    private final TrainingObjective objective;
    private final Check check;
    private boolean checked;

    StepProbe(TrainingObjective objective, Check check) {
        this.objective = objective;
        this.check = check;
    }

    @Override
    public String name() {
        return objective.name();
    }

    @Override
    public PreparedBatch prepare(Classifier model, Batch batch) {
        return objective.prepare(model, batch);
    }

    @Override
    public StepLoss loss(TrainingNetwork network, PreparedBatch prepared) {
        StepLoss loss = objective.loss(network, prepared);
        if (!checked) {
            checked = true;
            check.run(network, prepared, loss);
        }
        return loss;
    }
}
