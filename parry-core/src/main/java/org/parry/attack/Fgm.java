package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.parry.criterion.Criterion;
import org.parry.loss.AttackLoss;
import org.parry.model.Classifier;
import org.parry.model.NoGradientClassifier;
import org.parry.norm.Norm;

/**
 * Fast gradient method: one step of size ε along the norm's steepest-ascent direction of the
 * loss, x' = Proj(x + ε · d(∇ L(x, y))), d = g / ||g||_2 for L2 (Goodfellow et al., ICLR 2015;
 * the L2 form as in Miyato et al. 2016 and Foolbox's FGM), sign(g) for L∞ (= FGSM). Targeted:
 * ascend the targeted loss, i.e. step down the target's cross-entropy.
 *
 * @param norm the threat model
 * @param epsilon the step and ball radius
 * @param loss the loss to ascend (cross-entropy by default)
 */
public record Fgm(Norm norm, float epsilon, AttackLoss loss) implements Attack {

    public Fgm {
        Objects.requireNonNull(norm, "norm");
        Objects.requireNonNull(loss, "loss");
        Require.epsilon(norm, epsilon);
    }

    /** L2 FGM with cross-entropy. */
    public static Fgm l2(float epsilon) {
        return new Fgm(Norm.L2, epsilon, AttackLoss.CE);
    }

    @Override
    public String name() {
        return "fgm";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("norm", norm.id());
        settings.put("epsilon", epsilon);
        settings.put("loss", loss.id());
        return settings;
    }

    @Override
    public AttackResult run(Classifier model, NDArray x, Criterion criterion) {
        return step(name(), model, x, criterion, norm, epsilon, loss);
    }

    /** The single gradient step FGSM and FGM share. */
    static AttackResult step(String name, Classifier model, NDArray x, Criterion criterion,
            Norm norm, float epsilon, AttackLoss loss) {
        NoGradientClassifier.requireGradients(model, name);
        AttackResult.requireInputs(model, x, criterion);
        long start = System.nanoTime();
        CountingClassifier counted = new CountingClassifier(model);
        try (NDManager scope = x.getManager().newSubManager()) {
            scope.tempAttachAll(x, criterion.labels());
            NDArray gradient = counted.lossGradient(x, criterion.labels(),
                    loss.forCriterion(criterion, 0f)).gradient();
            NDArray adversarial = x.add(norm.direction(gradient).mul(epsilon));
            return AttackResult.bounded(counted, x, adversarial, criterion, norm, epsilon, start);
        }
    }
}
