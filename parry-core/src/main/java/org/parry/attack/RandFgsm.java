package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import org.parry.criterion.Criterion;
import org.parry.loss.AttackLoss;
import org.parry.model.Classifier;
import org.parry.model.NoGradientClassifier;
import org.parry.norm.Norm;
import org.parry.norm.RandomNoise;

/**
 * RAND+FGSM (Tramèr, Kurakin, Papernot, Goodfellow, Boneh and McDaniel, "Ensemble adversarial
 * training: attacks and defenses", ICLR 2018): one random step, then one gradient step,
 * x' = x + α · sign(N(0, I)), x_adv = Proj(x' + (ε - α) · sign(∇_{x'} CE(x', y))). It escapes the
 * gradient masking that single-step adversarial training creates at x itself. Default α = ε / 2.
 * (torchattacks' RFGSM is an iterative variant; this is the paper's single-step attack.)
 *
 * @param epsilon the L∞ radius
 * @param alpha the random step, in [0, ε]; α = 0 is FGSM
 * @param seed the random step's seed
 */
public record RandFgsm(float epsilon, float alpha, long seed) implements Attack {

    public RandFgsm {
        Require.epsilon(Norm.LINF, epsilon);
        if (!(alpha >= 0f && alpha <= epsilon)) {
            throw new IllegalArgumentException("alpha must be in [0, epsilon = " + epsilon + "], got " + alpha);
        }
    }

    /** α = ε / 2, the paper's ImageNet setting. */
    public static RandFgsm of(float epsilon, long seed) {
        return new RandFgsm(epsilon, epsilon / 2f, seed);
    }

    @Override
    public String name() {
        return "rand-fgsm";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("norm", Norm.LINF.id());
        settings.put("epsilon", epsilon);
        settings.put("alpha", alpha);
        settings.put("seed", seed);
        return settings;
    }

    @Override
    public AttackResult run(Classifier model, NDArray x, Criterion criterion) {
        NoGradientClassifier.requireGradients(model, name());
        AttackResult.requireInputs(model, x, criterion);
        long start = System.nanoTime();
        CountingClassifier counted = new CountingClassifier(model);
        try (NDManager scope = x.getManager().newSubManager()) {
            scope.tempAttachAll(x, criterion.labels());
            NDArray noise = RandomNoise.gaussian(scope, x.getShape(), seed).sign();
            NDArray randomStep = model.bounds().clip(x.add(noise.mul(alpha)));
            NDArray gradient = counted.lossGradient(randomStep, criterion.labels(),
                    AttackLoss.CE.forCriterion(criterion, 0f)).gradient();
            NDArray adversarial = randomStep.add(gradient.sign().mul(epsilon - alpha));
            return AttackResult.bounded(counted, x, adversarial, criterion, Norm.LINF, epsilon, start);
        }
    }
}
