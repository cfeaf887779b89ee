package org.parry.defense;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import org.parry.loss.CrossEntropyLoss;
import org.parry.train.PreparedBatch;
import org.parry.train.TrainingNetwork;
import org.parry.train.TrainingObjective;

/**
 * The teacher's stage of defensive distillation (Papernot et al., IEEE S&amp;P 2016): standard
 * training with the softmax at temperature T, CE(z(x)/T, y). The saved model's logits are the raw
 * z(x), about T times larger than those of a model trained at T = 1.
 *
 * @param temperature T
 * @see DefensiveDistillation the student's stage
 */
public record TemperatureTraining(float temperature) implements TrainingObjective {

    public TemperatureTraining {
        Require.positive("temperature", temperature);
    }

    @Override
    public String name() {
        return "distillation-teacher";
    }

    @Override
    public Map<String, Object> settings() {
        return Map.of("temperature", temperature);
    }

    @Override
    public StepLoss loss(TrainingNetwork network, PreparedBatch prepared) {
        NDArray logits = network.logits(prepared.x());
        NDArray loss = CrossEntropyLoss.get().perSample(logits.div(temperature), prepared.y()).mean();
        return new StepLoss(loss, logits, prepared.y());
    }
}
