package org.parry.attack;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.parry.criterion.Criterion;
import org.parry.loss.AttackLoss;
import org.parry.model.Classifier;
import org.parry.norm.Norm;

/**
 * Fast gradient sign method (Goodfellow, Shlens and Szegedy, "Explaining and harnessing
 * adversarial examples", ICLR 2015): x' = clip(x + ε · sign(∇_x CE(x, y))), clipped into the
 * model's box ([0, 1] for pixels), the vertex of the L∞ ball that maximizes the loss's first-order
 * expansion. Targeted (Kurakin et al. 2017): x' = clip(x - ε · sign(∇_x CE(x, t))). sign(0) = 0.
 * Paper settings: MNIST ε = 0.25, CIFAR-10 ε = 0.1.
 *
 * @param epsilon the L∞ radius
 * @param loss the loss to ascend (cross-entropy by default)
 */
public record Fgsm(float epsilon, AttackLoss loss) implements Attack {

    public Fgsm {
        Objects.requireNonNull(loss, "loss");
        Require.epsilon(Norm.LINF, epsilon);
    }

    /** FGSM with cross-entropy, as in the paper. */
    public static Fgsm of(float epsilon) {
        return new Fgsm(epsilon, AttackLoss.CE);
    }

    @Override
    public String name() {
        return "fgsm";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("norm", Norm.LINF.id());
        settings.put("epsilon", epsilon);
        settings.put("loss", loss.id());
        return settings;
    }

    @Override
    public AttackResult run(Classifier model, NDArray x, Criterion criterion) {
        return Fgm.step(name(), model, x, criterion, Norm.LINF, epsilon, loss);
    }
}
