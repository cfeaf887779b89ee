package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.parry.criterion.Criterion;
import org.parry.criterion.TargetedMisclassification;
import org.parry.loss.AttackLoss;
import org.parry.model.Classifier;
import org.parry.model.NoGradientClassifier;
import org.parry.norm.Norm;
import org.parry.norm.RandomNoise;

/**
 * Hypocritical perturbation (Tao, Feng, Yi and Chen, "With false friends like these, who can
 * notice mistakes?", AAAI 2022, arXiv:2012.14738): a "false friend" perturbs misclassified inputs
 * so the model gets them right, hiding its mistakes. x_hyp = argmin_{x' ∈ B(x, ε) ∩ [0,1]} CE(x', y),
 * by projected gradient descent on the true label's cross-entropy, starting at
 * x + 0.01 · N(0, I) (the reference code's start, not a uniform draw), keeping the first iterate
 * that is classified correctly; restarts run only on samples still wrong.
 *
 * <p>The result's {@code success} means "classified as the true label" at the returned point,
 * whatever criterion is passed: the criterion's labels are taken as the true labels. Reference
 * settings (CIFAR-10): ε = 8/255, step ε/4, 20 steps. Its evaluation metric is
 * {@link org.parry.eval.HypocriticalRisk}.
 */
public record Hypocritical(Norm norm, float epsilon, float stepSize, int steps, int restarts,
        long seed) implements Attack {

    public Hypocritical {
        Objects.requireNonNull(norm, "norm");
        Require.epsilon(norm, epsilon);
        Require.positive("stepSize", stepSize);
        Require.atLeast("steps", steps, 1);
        Require.atLeast("restarts", restarts, 1);
    }

    /** The reference evaluation settings: step ε/4, 20 steps, 1 restart. */
    public static Hypocritical of(Norm norm, float epsilon, long seed) {
        return new Hypocritical(norm, epsilon, epsilon / 4f, 20, 1, seed);
    }

    @Override
    public String name() {
        return "hypocritical";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("norm", norm.id());
        settings.put("epsilon", epsilon);
        settings.put("stepSize", stepSize);
        settings.put("steps", steps);
        settings.put("restarts", restarts);
        settings.put("seed", seed);
        return settings;
    }

    @Override
    public AttackResult run(Classifier model, NDArray x, Criterion criterion) {
        NoGradientClassifier.requireGradients(model, name());
        AttackResult.requireInputs(model, x, criterion);
        long start = System.nanoTime();
        CountingClassifier counted = new CountingClassifier(model);
        NDArray trueLabels = criterion.targeted()
                ? ((TargetedMisclassification) criterion).trueLabels()
                : criterion.labels();
        Criterion correct = new TargetedMisclassification(trueLabels, trueLabels);
        try (NDManager scope = x.getManager().newSubManager()) {
            scope.tempAttachAll(x);
            NDArray friendly = IterativeGradientAttack.run(counted, x, correct, norm, epsilon,
                    stepSize, steps, restarts, true,
                    (clean, restart) -> clean.add(RandomNoise.gaussian(clean.getManager(),
                            clean.getShape(), seed + 7919L * restart).mul(0.01f)),
                    (step, active) -> AttackLoss.CE.forCriterion(active, 0f));
            return AttackResult.bounded(counted, x, friendly, correct, norm, epsilon, start);
        }
    }
}
