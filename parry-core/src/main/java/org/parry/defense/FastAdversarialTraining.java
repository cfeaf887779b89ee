package org.parry.defense;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.parry.data.Batch;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.Classifier;
import org.parry.norm.Norm;
import org.parry.train.PreparedBatch;
import org.parry.train.TrainingNetwork;
import org.parry.train.TrainingObjective;

/**
 * FGSM adversarial training with a random start, "fast is better than free" (Wong, Rice and
 * Kolter, ICLR 2020): δ₀ ~ U(−ε, ε), δ = Π_ε(δ₀ + α·sign(∇_δ CE(f(x + δ₀), y))), train on
 * CE(f(x + δ), y); α = 1.25ε. One gradient for the attack, so about twice the cost of standard
 * training, for robustness close to PGD training's.
 *
 * <p>With the options of Li et al.'s "bag of tricks" against catastrophic overfitting (arXiv
 * 2209.02684, 2022): a masked start ({@link FastStart}), and an L2 penalty λ·‖W₁‖² on the first
 * layer's weights (CO coincides with their abnormal growth; the paper's exact norm and λ are
 * reconstructed). The architecture tricks (smooth activations, a larger first stride) are model
 * options. Pair it with the trainer's {@link org.parry.train.RobustnessMonitor}.
 *
 * @param epsilon the L∞ radius
 * @param stepSize α
 * @param start where the FGSM step starts
 * @param maskRatio the fraction of pixels a mask start zeroes, in [0, 1)
 * @param firstLayerPenalty λ, the weight of ‖W₁‖², >= 0
 * @param labels which labels the training attack ascends the loss of
 */
public record FastAdversarialTraining(float epsilon, float stepSize, FastStart start,
        float maskRatio, float firstLayerPenalty, TrainingLabels labels)
        implements TrainingObjective {

    public FastAdversarialTraining {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(labels, "labels");
        Require.epsilon(epsilon);
        Require.positive("stepSize", stepSize);
        if (!(maskRatio >= 0f && maskRatio < 1f)) {
            throw new IllegalArgumentException("maskRatio must be in [0, 1), got " + maskRatio);
        }
        if (!(firstLayerPenalty >= 0f) || Float.isInfinite(firstLayerPenalty)) {
            throw new IllegalArgumentException("firstLayerPenalty must be >= 0, got "
                    + firstLayerPenalty);
        }
    }

    @Override
    public String name() {
        return "fgsm-rs";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("epsilon", epsilon);
        settings.put("stepSize", stepSize);
        settings.put("start", start.id());
        settings.put("maskRatio", maskRatio);
        settings.put("firstLayerPenalty", firstLayerPenalty);
        settings.put("labels", labels.id());
        return settings;
    }

    @Override
    public PreparedBatch prepare(Classifier model, Batch batch) {
        NDArray from = start.start(batch.x(), epsilon, maskRatio, model.bounds());
        NDArray gradient = model.lossGradient(from, labels.of(model, batch),
                CrossEntropyLoss.get()).gradient();
        NDArray adversarial = Norm.LINF.project(from.add(gradient.sign().mul(stepSize)),
                batch.x(), epsilon, model.bounds());
        return PreparedBatch.withAdversarial(batch, adversarial);
    }

    @Override
    public StepLoss loss(TrainingNetwork network, PreparedBatch prepared) {
        StepLoss adversarial = Mixed.loss(network, prepared, 0f);
        if (firstLayerPenalty == 0f) {
            return adversarial;
        }
        NDArray penalty = network.firstLayerWeight().square().sum().mul(firstLayerPenalty);
        return new StepLoss(adversarial.loss().add(penalty), adversarial.logits(),
                adversarial.labels());
    }
}
