package org.parry.train;

import java.util.Locale;
import java.util.Objects;
import org.parry.data.LabelNoise;

/**
 * How to train: epochs, batch size, optimizer, learning-rate schedule and seed. Immutable and
 * validated; build it with {@link #builder()}. Stored in every saved model's card.
 *
 * @param epochs passes over the training set
 * @param batchSize images per step
 * @param optimizer {@code sgd} (with momentum) or {@code adam}
 * @param learningRate the base learning rate
 * @param momentum SGD's momentum (ignored by Adam)
 * @param weightDecay L2 penalty coefficient added to the gradient
 * @param schedule {@code constant}, {@code step} or {@code cosine}
 * @param stepEpochs for {@code step}: multiply the rate by {@code stepGamma} every this many epochs
 * @param stepGamma for {@code step}: the decay factor
 * @param seed seeds parameter initialization, shuffling and every random draw of the run
 * @param noiseAugmentation whether each training image, with probability ½, gets Gaussian noise
 *     of a standard deviation drawn from {50, 75, 100}/255 ({@link GaussianAugmentation})
 * @param spartaFrom a saved model whose Sparta modules the network reuses, frozen (Sparta's
 *     transfer, {@link SpartaTransfer}), or null
 * @param labelNoise the probability that a training label is replaced by another class, drawn
 *     from {@code seed} ({@link LabelNoise}); 0 for the data's own labels
 */
public record TrainingSettings(int epochs, int batchSize, String optimizer, float learningRate,
        float momentum, float weightDecay, String schedule, int stepEpochs, float stepGamma,
        long seed, boolean noiseAugmentation, String spartaFrom, float labelNoise) {

    public TrainingSettings {
        require(epochs >= 1, "epochs must be >= 1, got " + epochs);
        require(batchSize >= 1, "batch size must be >= 1, got " + batchSize);
        optimizer = Objects.requireNonNull(optimizer, "optimizer").toLowerCase(Locale.ROOT);
        require(optimizer.equals("sgd") || optimizer.equals("adam"),
                "optimizer must be sgd or adam, got '" + optimizer + "'");
        require(learningRate > 0f && Float.isFinite(learningRate),
                "learning rate must be > 0, got " + learningRate);
        require(momentum >= 0f && momentum < 1f, "momentum must be in [0, 1), got " + momentum);
        require(weightDecay >= 0f && Float.isFinite(weightDecay),
                "weight decay must be >= 0, got " + weightDecay);
        schedule = Objects.requireNonNull(schedule, "schedule").toLowerCase(Locale.ROOT);
        require(schedule.equals("constant") || schedule.equals("step") || schedule.equals("cosine"),
                "schedule must be constant, step or cosine, got '" + schedule + "'");
        require(stepEpochs >= 1, "step epochs must be >= 1, got " + stepEpochs);
        require(stepGamma > 0f && stepGamma <= 1f, "step gamma must be in (0, 1], got " + stepGamma);
        LabelNoise.checkRate(labelNoise);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /** A builder starting from Parry's defaults: 1 epoch, batch 128, Adam 1e-3, constant. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these settings. */
    public Builder toBuilder() {
        Builder builder = new Builder();
        builder.epochs = epochs;
        builder.batchSize = batchSize;
        builder.optimizer = optimizer;
        builder.learningRate = learningRate;
        builder.momentum = momentum;
        builder.weightDecay = weightDecay;
        builder.schedule = schedule;
        builder.stepEpochs = stepEpochs;
        builder.stepGamma = stepGamma;
        builder.seed = seed;
        builder.noiseAugmentation = noiseAugmentation;
        builder.spartaFrom = spartaFrom;
        builder.labelNoise = labelNoise;
        return builder;
    }

    /** Builds {@link TrainingSettings}; every option has a default. */
    public static final class Builder {
        private int epochs = 1;
        private int batchSize = 128;
        private String optimizer = "adam";
        private float learningRate = 1e-3f;
        private float momentum = 0.9f;
        private float weightDecay = 0f;
        private String schedule = "constant";
        private int stepEpochs = 10;
        private float stepGamma = 0.1f;
        private long seed = 0L;
        private boolean noiseAugmentation = false;
        private String spartaFrom;
        private float labelNoise = 0f;

        private Builder() {}

        public Builder optEpochs(int value) {
            epochs = value;
            return this;
        }

        public Builder optBatchSize(int value) {
            batchSize = value;
            return this;
        }

        public Builder optOptimizer(String value) {
            optimizer = value;
            return this;
        }

        public Builder optLearningRate(float value) {
            learningRate = value;
            return this;
        }

        public Builder optMomentum(float value) {
            momentum = value;
            return this;
        }

        public Builder optWeightDecay(float value) {
            weightDecay = value;
            return this;
        }

        public Builder optSchedule(String value) {
            schedule = value;
            return this;
        }

        public Builder optStepEpochs(int value) {
            stepEpochs = value;
            return this;
        }

        public Builder optStepGamma(float value) {
            stepGamma = value;
            return this;
        }

        public Builder optSeed(long value) {
            seed = value;
            return this;
        }

        public Builder optNoiseAugmentation(boolean value) {
            noiseAugmentation = value;
            return this;
        }

        public Builder optSpartaFrom(String value) {
            spartaFrom = value;
            return this;
        }

        public Builder optLabelNoise(float value) {
            labelNoise = value;
            return this;
        }

        public TrainingSettings build() {
            return new TrainingSettings(epochs, batchSize, optimizer, learningRate, momentum,
                    weightDecay, schedule, stepEpochs, stepGamma, seed, noiseAugmentation,
                    spartaFrom, labelNoise);
        }
    }
}
