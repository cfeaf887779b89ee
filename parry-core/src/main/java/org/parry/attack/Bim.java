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
 * x_{n+1} = Clip_{x,ε}(x_n + α · sign(∇ CE(x_n, y))), no random start. Paper defaults in [0, 1]
 * units: α = 1/255, N = min(255 ε + 4, 1.25 · 255 ε) iterations. Targeted via the criterion
 * (with the least-likely class as target, this is the paper's ILLC).
 *
 * @param epsilon the L∞ radius
 * @param stepSize α
 * @param steps N
 */
public record Bim(float epsilon, float stepSize, int steps) implements Attack {

    public Bim {
        Require.epsilon(Norm.LINF, epsilon);
        Require.positive("stepSize", stepSize);
        Require.atLeast("steps", steps, 1);
    }

    /** The paper's rule: α = 1/255, N = ceil(min(255 ε + 4, 1.25 · 255 ε)). */
    public static Bim paper(float epsilon) {
        int steps = (int) Math.ceil(Math.min(255 * epsilon + 4, 1.25 * 255 * epsilon));
        return new Bim(epsilon, 1f / 255f, Math.max(steps, 1));
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
        return settings;
    }

    @Override
    public AttackResult run(Classifier model, NDArray x, Criterion criterion) {
        return new Pgd(Norm.LINF, epsilon, stepSize, steps, 1, false, AttackLoss.CE, 0f, 0L)
                .iterate(name(), model, x, criterion);
    }
}
