package org.parry.defense;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToDoubleFunction;
import org.parry.Identified;
import org.parry.data.Batch;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.Classifier;
import org.parry.train.PreparedBatch;
import org.parry.train.TrainingNetwork;
import org.parry.train.TrainingObjective;

/**
 * Interpolated adversarial training, IAT (Lamb, Verma, Kannala and Bengio, "Interpolated
 * adversarial training: achieving robust neural networks without sacrificing too much accuracy",
 * AISec@CCS 2019). Each step crafts x' = PGD(x, y) on the un-mixed batch, exactly as {@link
 * PgdAdversarialTraining} does (k sign steps of α from a uniform random start, true labels, the
 * model in evaluation mode), then trains on Mixup of each half:
 * <pre>
 *   L = (L_clean + L_adv) / 2,
 *   L_clean = λ·CE(f(mix(x)), y) + (1 − λ)·CE(f(mix(x)), y_π),   mix(h) = λ·h + (1 − λ)·h_π,
 * </pre>
 * and L_adv the same on x', each half with its own permutation π of the batch and its own
 * λ ~ Beta(a, a) (one λ per half and step, as in Mixup; {@link BetaDistribution} draws it).
 * With {@code mix=input} (Mixup, Zhang et al. ICLR 2018) h is the input; with {@code
 * mix=manifold} (Manifold Mixup, Verma et al. ICML 2019) each half picks its mixing point
 * uniformly among {the input, the output of stage 1, the output of stage 2} and mixes the hidden
 * states there ({@link TrainingNetwork#logits(NDArray, int, java.util.function.UnaryOperator)};
 * stages as {@link org.parry.model.Layers#stageOutputs} finds them). The attack is not crafted
 * against the mixed loss, as in the paper. Paper defaults: a = 1 (Mixup), a = 2 (Manifold Mixup);
 * PGD 7 steps of 2/255 at ε = 8/255 on CIFAR-10. Parry's attack defaults are PGD-AT's (10 steps of
 * ε/4), so that IAT and pgd-at differ only by the interpolation. Every random draw (π, λ, the
 * point) comes from PyTorch's generator, which the trainer reseeds every epoch.
 *
 * <p>The progress bar's accuracy is that of the clean half's mixed logits against its dominant
 * label (y when λ ≥ ½, else y_π): no un-mixed logits exist without another forward pass, and
 * training accuracy under Mixup is only a rough progress signal. A network with CIFS probes sees
 * the batch's labels y for the mixed images (its probe loss is not mixed).
 */
public final class InterpolatedAdversarialTraining implements TrainingObjective {

    /** Where the two halves are interpolated. */
    public enum Mix implements Identified {
        /** Mixup of the images. */
        INPUT("input", 1f),
        /** Manifold Mixup: the input, or the output of stage 1 or 2, uniformly. */
        MANIFOLD("manifold", 2f);

        private final String id;
        private final float defaultAlpha;

        Mix(String id, float defaultAlpha) {
            this.id = id;
            this.defaultAlpha = defaultAlpha;
        }

        @Override
        public String id() {
            return id;
        }

        /** The paper's Beta parameter a for this kind of mixing. */
        public float defaultAlpha() {
            return defaultAlpha;
        }

        /** @throws IllegalArgumentException for anything but {@code input} or {@code manifold} */
        public static Mix parse(String text) {
            return Identified.parse(values(), text, "mix");
        }
    }

    /** The mixing points Manifold Mixup chooses from: the input and the first two stages' outputs. */
    private static final int MANIFOLD_POINTS = 3;

    private final PgdAdversarialTraining attack;
    private final Mix mix;
    private final float alpha;
    private final ToDoubleFunction<NDManager> weights;

    /**
     * @param epsilon the L∞ radius of the training attack
     * @param stepSize its step α
     * @param steps its number of steps k
     * @param mix where to interpolate
     * @param alpha a, the parameter of λ ~ Beta(a, a)
     */
    public InterpolatedAdversarialTraining(float epsilon, float stepSize, int steps, Mix mix,
            float alpha) {
        this(epsilon, stepSize, steps, mix, alpha, manager -> lambda(manager, alpha));
    }

    /** @param weights draws λ (tests fix it) */
    InterpolatedAdversarialTraining(float epsilon, float stepSize, int steps, Mix mix, float alpha,
            ToDoubleFunction<NDManager> weights) {
        this.attack = new PgdAdversarialTraining(epsilon, stepSize, steps, TrainingLabels.TRUE);
        this.mix = Objects.requireNonNull(mix, "mix");
        Require.positive("alpha", alpha);
        this.alpha = alpha;
        this.weights = weights;
    }

    @Override
    public String name() {
        return "iat";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = SignSteps.settings(attack.epsilon(), attack.stepSize(), attack.steps());
        settings.put("randomStart", true);
        settings.put("mix", mix.id());
        settings.put("alpha", alpha);
        return settings;
    }

    @Override
    public PreparedBatch prepare(Classifier model, Batch batch) {
        return attack.prepare(model, batch);
    }

    @Override
    public StepLoss loss(TrainingNetwork network, PreparedBatch prepared) {
        if (mix == Mix.MANIFOLD && network.hiddenPoints() < MANIFOLD_POINTS - 1) {
            throw new IllegalArgumentException("iat.mix=manifold mixes at the input or after the"
                    + " network's first two stages, but this network has " + network.hiddenPoints()
                    + " stage output(s) before its last stage; use iat.mix=input, or an"
                    + " architecture with at least three weight layers (mlp, small-cnn, cnn3, ...)");
        }
        StepLoss clean = mixed(network, prepared.x(), prepared.y());
        StepLoss adversarial = mixed(network, prepared.requireAdversarial(), prepared.y());
        return new StepLoss(clean.loss().add(adversarial.loss()).div(2f), clean.logits(),
                clean.labels());
    }

    /**
     * One half: λ·CE(f(mix), y) + (1 − λ)·CE(f(mix), y_π), with the mixed logits and the dominant
     * labels.
     */
    private StepLoss mixed(TrainingNetwork network, NDArray x, NDArray y) {
        NDManager manager = x.getManager();
        float lambda = (float) weights.applyAsDouble(manager);
        NDArray permutation = manager.randomPermutation(x.getShape().get(0));
        int point = mix == Mix.INPUT ? 0 : manager.randomInteger(0, MANIFOLD_POINTS, new Shape(1),
                DataType.INT32).getInt();
        NDArray logits = network.logits(x, point,
                h -> h.mul(lambda).add(h.get(permutation).mul(1f - lambda)));
        NDArray partners = y.get(permutation);
        CrossEntropyLoss ce = CrossEntropyLoss.get();
        NDArray loss = ce.perSample(logits, y).mean().mul(lambda)
                .add(ce.perSample(logits, partners).mean().mul(1f - lambda));
        return new StepLoss(loss, logits, lambda >= 0.5f ? y : partners);
    }

    /** λ ~ Beta(a, a), drawn on PyTorch's generator. */
    private static double lambda(NDManager manager, float alpha) {
        try (NDManager draw = manager.newSubManager()) {
            return BetaDistribution.sample(draw, alpha, alpha, 1).getFloat();
        }
    }
}
