package org.parry.defense;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import java.util.Objects;
import org.parry.data.Batch;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.Classifier;
import org.parry.train.PreparedBatch;
import org.parry.train.TrainingNetwork;
import org.parry.train.TrainingObjective;

/**
 * PGD adversarial training (Madry, Makelov, Schmidt, Tsipras and Vladu, "Towards deep learning
 * models resistant to adversarial attacks", ICLR 2018): the saddle-point problem
 * min_θ E[max_{‖δ‖∞ ≤ ε} CE(f(x + δ), y)], its inner maximum approximated by k steps of
 * x ← Π(x + α·sign(∇ₓ CE)) from a uniform random start, the outer step on the adversarial loss
 * alone. Paper: MNIST ε = 0.3, 40 steps of 0.01; CIFAR-10 ε = 8/255, 7 steps of 2/255. Parry's
 * defaults (10 steps of ε/4) follow the calibrated Fashion-MNIST runs. The attack uses the true
 * labels by default, as the paper does.
 *
 * @param epsilon the L∞ radius
 * @param stepSize α
 * @param steps k
 * @param labels which labels the training attack ascends the loss of
 */
public record PgdAdversarialTraining(float epsilon, float stepSize, int steps, TrainingLabels labels)
        implements TrainingObjective {

    public PgdAdversarialTraining {
        Objects.requireNonNull(labels, "labels");
        SignSteps.require(epsilon, stepSize, steps);
    }

    @Override
    public String name() {
        return "pgd-at";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = SignSteps.settings(epsilon, stepSize, steps);
        settings.put("randomStart", true);
        settings.put("labels", labels.id());
        return settings;
    }

    @Override
    public PreparedBatch prepare(Classifier model, Batch batch) {
        NDArray adversarial = SignSteps.ascend(model, batch.x(),
                SignSteps.uniformStart(batch.x(), epsilon, model.bounds()), labels.of(model, batch),
                CrossEntropyLoss.get(), epsilon, stepSize, steps);
        return PreparedBatch.withAdversarial(batch, adversarial);
    }

    @Override
    public StepLoss loss(TrainingNetwork network, PreparedBatch prepared) {
        return Mixed.loss(network, prepared, 0f);
    }
}
