package org.parry.defense;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.parry.data.Batch;
import org.parry.model.Classifier;
import org.parry.train.PreparedBatch;
import org.parry.train.TrainingNetwork;
import org.parry.train.TrainingObjective;

/**
 * Defensive distillation (Papernot, McDaniel, Wu, Jha and Swami, "Distillation as a defense to
 * adversarial perturbations against deep neural networks", IEEE S&amp;P 2016), the student's
 * stage: train on the soft labels softmax(z_teacher(x)/T) of a teacher trained at the same
 * temperature ({@link TemperatureTraining}), with the loss −Σ_k p_k log softmax(z(x)/T)_k; the
 * student is deployed at T = 1, i.e. with its raw logits. Those logits come out about T times
 * larger than a normally trained model's, the softmax saturates, and softmax-cross-entropy
 * gradients underflow to zero: gradient attacks on the CE loss stall while attacks on the logits
 * (C&amp;W, Carlini and Wagner, "Defensive distillation is not robust to adversarial examples",
 * 2016) still succeed. It is in Parry to show exactly that. Paper default: T = 100.
 *
 * @param temperature T
 * @param teacher the teacher, trained at T (the objective closes it)
 * @param teacherName what the model card records for the teacher (e.g. its path)
 */
public record DefensiveDistillation(float temperature, Classifier teacher, String teacherName)
        implements TrainingObjective {

    public DefensiveDistillation {
        Require.positive("temperature", temperature);
        Objects.requireNonNull(teacher, "teacher");
        Objects.requireNonNull(teacherName, "teacherName");
    }

    @Override
    public String name() {
        return "distillation";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("temperature", temperature);
        settings.put("teacher", teacherName);
        return settings;
    }

    /** Adds the teacher's soft labels softmax(z_teacher(x)/T). */
    @Override
    public PreparedBatch prepare(Classifier model, Batch batch) {
        if (!teacher.inputShape().equals(model.inputShape())
                || teacher.numClasses() != model.numClasses()) {
            throw new IllegalArgumentException("the teacher " + teacherName + " takes "
                    + teacher.inputShape() + " inputs with " + teacher.numClasses() + " classes,"
                    + " but the student takes " + model.inputShape() + " with " + model.numClasses());
        }
        NDArray soft = teacher.logits(batch.x()).div(temperature).softmax(1);
        return PreparedBatch.withTargets(batch, soft);
    }

    @Override
    public StepLoss loss(TrainingNetwork network, PreparedBatch prepared) {
        NDArray logits = network.logits(prepared.x());
        NDArray loss = prepared.targets().mul(logits.div(temperature).logSoftmax(1))
                .sum(new int[] {1}).neg().mean();
        return new StepLoss(loss, logits, prepared.y());
    }

    @Override
    public void close() {
        teacher.close();
    }
}
