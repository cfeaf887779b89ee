package org.parry.attack;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import org.parry.criterion.Criterion;
import org.parry.loss.AttackLoss;
import org.parry.model.Classifier;
import org.parry.norm.Norm;

/**
 * Momentum iterative FGSM, MI-FGSM (Dong, Liao, Pang, Su, Zhu, Hu and Li, "Boosting adversarial
 * attacks with momentum", CVPR 2018, arXiv:1710.06081): from x_0 = x, with g_0 = 0,
 * <pre>
 *   g_{t+1} = μ · g_t + ∇_x J(x_t, y) / ||∇_x J(x_t, y)||_1        (per sample)
 *   x_{t+1} = Π_{B(x, ε) ∩ box}(x_t + α · sign(g_{t+1}))            (L∞, the paper's eq. 6)
 *   x_{t+1} = Π_{B(x, ε) ∩ box}(x_t + α · g_{t+1} / ||g_{t+1}||_2)  (L2, the paper's eq. 8)
 * </pre>
 * J is the cross-entropy; no random start. Accumulating the normalized gradients stabilizes the
 * update direction and escapes poor local maxima, which makes the examples transfer to other models
 * far better than I-FGSM's; crafted on an ensemble ({@link TransferAttack} with several sources,
 * the loss of their mean logits: the paper's logit fusion, eq. 7) it won the NIPS 2017 attack
 * competitions. With μ = 0 it is {@link Bim} (I-FGSM): the direction of g_{t+1} is then that of the
 * gradient.
 *
 * <p>Defaults (the paper's): μ = 1.0, 10 steps, α = ε / steps, and every sample runs every step
 * ({@code earlyStop} false), since the attack is made to transfer: an example that only just
 * crosses the source model's boundary seldom fools another. Parry's shared loop ({@link
 * IterativeGradientAttack}) does the rest: projection into the ball and the box, per-sample
 * momentum that follows the samples still attacked, the last iterate judged.
 *
 * @param norm {@link Norm#LINF} or {@link Norm#L2}
 * @param epsilon the radius
 * @param stepSize α
 * @param steps T
 * @param decay μ, the momentum's decay factor
 * @param earlyStop whether a sample stops at its first adversarial iterate
 */
public record MiFgsm(Norm norm, float epsilon, float stepSize, int steps, float decay,
        boolean earlyStop) implements Attack {

    public MiFgsm {
        if (norm != Norm.LINF && norm != Norm.L2) {
            throw new IllegalArgumentException("mi-fgsm attacks in linf or l2, not " + norm.id()
                    + "; use --norm linf or --norm l2");
        }
        Require.epsilon(norm, epsilon);
        Require.positive("stepSize", stepSize);
        Require.atLeast("steps", steps, 1);
        Require.nonNegative("decay", decay);
    }

    /** The paper's settings in {@code norm}: μ = 1, 10 steps of ε / 10, every step run. */
    public static MiFgsm of(Norm norm, float epsilon) {
        return new MiFgsm(norm, epsilon, epsilon / DEFAULT_STEPS, DEFAULT_STEPS, 1f, false);
    }

    /** T = 10. */
    public static final int DEFAULT_STEPS = 10;

    @Override
    public String name() {
        return "mi-fgsm";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("norm", norm.id());
        settings.put("epsilon", epsilon);
        settings.put("stepSize", stepSize);
        settings.put("steps", steps);
        settings.put("decay", decay);
        settings.put("earlyStop", earlyStop);
        return settings;
    }

    @Override
    public AttackResult run(Classifier model, NDArray x, Criterion criterion) {
        return new Pgd(norm, epsilon, stepSize, steps, 1, false, AttackLoss.CE, 0f, earlyStop, 0L)
                .iterate(name(), model, x, criterion, new IterativeGradientAttack.Momentum(decay));
    }
}
