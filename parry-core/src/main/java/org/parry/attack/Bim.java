package org.parry.attack;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import org.parry.criterion.Criterion;
import org.parry.loss.AttackLoss;
import org.parry.model.Classifier;
import org.parry.norm.Norm;

/**
 * Basic iterative method / I-FGSM (Kurakin, Goodfellow and Bengio, "Adversarial examples in the
 * physical world", ICLR 2017 workshop, arXiv:1607.02533): x_0 = x,
 * x_{n+1} = Clip_{x,ε}(x_n + α · sign(∇ CE(x_n, y))), no random start. Targeted via the criterion
 * (with the least-likely class as target, this is the paper's ILLC).
 *
 * <p>Defaults ({@link #of}, and {@code bim} by name): the paper's N = min(255 ε + 4, 1.25 · 255 ε)
 * iterations, with α = {@link Pgd#defaultStepSize} (ε / 4 for 10 to 40 steps) instead of the paper's
 * 1/255 ({@link #paper} keeps it). Why: an absolute α of 1/255 is a smaller and smaller fraction of
 * a larger ε, and users copy torchattacks' α = 2/255 with 10 steps, whose scaled form (α = ε/4)
 * beats the paper's rule. Robust accuracy (lower is stronger) on the first 1000 Fashion-MNIST test
 * images at ε = 0.1 (N = 30), for the two models of {@link Pgd}'s table:
 * <pre>
 *   BIM setting                                   standard   FGSM-RS
 *   N = 30, α = 1/255 (paper, old default)          0.077     0.486
 *   10 steps, α = 2/255 (torchattacks, copied)      0.178     0.564
 *   10 steps, α = ε/4 (torchattacks' ratio)         0.074     0.469
 *   N = 30, α = ε/4 (new default)                   0.061     0.447
 *   N = 30, α = ε/10                                    -     0.443
 * </pre>
 * ε/10 was 0.4 pp stronger still on the FGSM-RS model (BIM has no random start to escape), but
 * both beat every reference setting, and one rule for PGD and BIM keeps their defaults from
 * drifting apart.
 * At torchattacks' ε = 8/255 the new default is theirs exactly: N = 10, α = 2/255.
 *
 * <p>Like {@link Pgd}, BIM stops per sample at its first adversarial iterate; {@code earlyStop}
 * false runs all N iterations, as the paper does, for examples meant to survive a transformation or
 * to transfer to another model.
 *
 * @param epsilon the L∞ radius
 * @param stepSize α
 * @param steps N
 * @param earlyStop whether a sample stops at its first adversarial iterate
 */
public record Bim(float epsilon, float stepSize, int steps, boolean earlyStop) implements Attack {

    public Bim {
        Require.epsilon(Norm.LINF, epsilon);
        Require.positive("stepSize", stepSize);
        Require.atLeast("steps", steps, 1);
    }

    /** The defaults above: N = ceil(min(255 ε + 4, 1.25 · 255 ε)), α = Pgd's default step for N. */
    /** BIM that stops per sample at its first adversarial iterate. */
    public Bim(float epsilon, float stepSize, int steps) {
        this(epsilon, stepSize, steps, true);
    }

    public static Bim of(float epsilon) {
        int steps = paperSteps(epsilon);
        return new Bim(epsilon, Pgd.defaultStepSize(epsilon, steps), steps);
    }

    /** The paper's rule: α = 1/255, N = ceil(min(255 ε + 4, 1.25 · 255 ε)). */
    public static Bim paper(float epsilon) {
        return new Bim(epsilon, 1f / 255f, paperSteps(epsilon));
    }

    /** The 1e-4 keeps float rounding of ε (8/255f is above 8/255) from adding a step. */
    private static int paperSteps(float epsilon) {
        int steps = (int) Math.ceil(Math.min(255 * epsilon + 4, 1.25 * 255 * epsilon) - 1e-4);
        return Math.max(steps, 1);
    }

    @Override
    public String name() {
        return "bim";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("norm", Norm.LINF.id());
        settings.put("epsilon", epsilon);
        settings.put("stepSize", stepSize);
        settings.put("steps", steps);
        settings.put("earlyStop", earlyStop);
        return settings;
    }

    @Override
    public AttackResult run(Classifier model, NDArray x, Criterion criterion) {
        return new Pgd(Norm.LINF, epsilon, stepSize, steps, 1, false, AttackLoss.CE, 0f, earlyStop,
                0L)
                .iterate(name(), model, x, criterion);
    }
}
