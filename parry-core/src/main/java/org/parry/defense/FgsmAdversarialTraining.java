package org.parry.defense;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.parry.data.Batch;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.Classifier;
import org.parry.train.PreparedBatch;
import org.parry.train.TrainingNetwork;
import org.parry.train.TrainingObjective;

/**
 * FGSM adversarial training (Goodfellow, Shlens and Szegedy, "Explaining and harnessing
 * adversarial examples", ICLR 2015, §6): minimize
 * α·CE(f(x), y) + (1 − α)·CE(f(x'), y) with x' = clip(x + ε·sign(∇ₓ CE(f(x), y))) into the
 * model's box,
 * recomputed for the current parameters at every step and treated as a constant (no gradient
 * through the sign). Paper: α = 0.5, MNIST ε = 0.25. The attack uses the model's predicted labels
 * by default, against label leaking (Kurakin et al. 2017).
 *
 * @param epsilon the L∞ radius of the training FGSM
 * @param cleanWeight α, the weight of the clean loss, in [0, 1]
 * @param labels which labels the training FGSM ascends the loss of
 */
public record FgsmAdversarialTraining(float epsilon, float cleanWeight, TrainingLabels labels)
        implements TrainingObjective {

    public FgsmAdversarialTraining {
        Objects.requireNonNull(labels, "labels");
        Require.epsilon(epsilon);
        Require.fraction("cleanWeight", cleanWeight);
    }

    @Override
    public String name() {
        return "fgsm-mixed";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("epsilon", epsilon);
        settings.put("cleanWeight", cleanWeight);
        settings.put("labels", labels.id());
        return settings;
    }

    @Override
    public PreparedBatch prepare(Classifier model, Batch batch) {
        NDArray gradient = model.lossGradient(batch.x(), labels.of(model, batch),
                CrossEntropyLoss.get()).gradient();
        NDArray adversarial = model.bounds().clip(batch.x().add(gradient.sign().mul(epsilon)));
        return PreparedBatch.withAdversarial(batch, adversarial);
    }

    @Override
    public StepLoss loss(TrainingNetwork network, PreparedBatch prepared) {
        return Mixed.loss(network, prepared, cleanWeight);
    }
}
