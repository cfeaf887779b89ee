package org.parry.defense.purify;

import java.util.Objects;
import org.parry.detect.Threshold;
import org.parry.train.TrainingSettings;

/**
 * How to train a {@link MagNet}: its autoencoders' training and its detectors' drop rate.
 * Defaults follow the authors' MNIST code where a CPU allows: noise v = 0.1, Adam 1e-3, batch 256,
 * drop rate 0.001 per detector; 10 epochs instead of the code's 100. Immutable and validated;
 * build it with {@link #builder()}.
 *
 * @param training epochs, batch size, optimizer, learning rate and seed of each autoencoder group
 *     (the seed also draws the weights and the noise); {@link #defaultTraining()} by default
 * @param noise v, the training noise's standard deviation on [0, 1] pixels
 * @param dropRate the fraction q of clean validation images each detector may reject, in (0, 1)
 * @param reformers n, how many AE-I reformers to train jointly: 1 for MagNet, more for its
 *     gray-box defense that picks one at random per query (the lecture's table uses 8)
 * @param diversity α in [0, 1), the weight of the diversity term when {@code reformers} > 1;
 *     0.2 by default, our choice (the authors' code leaves it to the caller)
 */
public record MagNetSettings(TrainingSettings training, float noise, double dropRate,
        int reformers, float diversity) {

    public MagNetSettings {
        Objects.requireNonNull(training, "training");
        requireNoise(noise);
        Threshold.require(dropRate);
        if (reformers < 1) {
            throw new IllegalArgumentException("magnet: reformers must be >= 1, got "
                    + reformers);
        }
        requireDiversity(diversity);
    }

    static void requireNoise(float noise) {
        if (!(noise >= 0f && noise <= 1f)) {
            throw new IllegalArgumentException("magnet: noise must be in [0, 1] (a standard"
                    + " deviation on [0, 1] pixels), got " + noise);
        }
    }

    static void requireDiversity(float diversity) {
        if (!(diversity >= 0f && diversity < 1f)) {
            throw new IllegalArgumentException("magnet: diversity must be in [0, 1), got "
                    + diversity + "; at 1 or more the loss no longer charges the autoencoders for"
                    + " disagreeing with each other");
        }
    }

    /**
     * MagNet's training, ready to adjust: 10 epochs, batch 256, Adam 1e-3, constant rate, seed 0
     * (about a minute per autoencoder on Fashion-MNIST's 60,000 images).
     */
    public static TrainingSettings.Builder defaultTraining() {
        return TrainingSettings.builder().optEpochs(10).optBatchSize(256).optOptimizer("adam")
                .optLearningRate(1e-3f);
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link MagNetSettings}; every option has a default. */
    public static final class Builder {
        private TrainingSettings training = defaultTraining().build();
        private float noise = 0.1f;
        private double dropRate = 0.001;
        private int reformers = 1;
        private float diversity = 0.2f;

        private Builder() {}

        /** The autoencoders' training (default {@link #defaultTraining()}). */
        public Builder optTraining(TrainingSettings value) {
            training = value;
            return this;
        }

        /** The training noise v (default 0.1). */
        public Builder optNoise(float value) {
            noise = value;
            return this;
        }

        /** Clean validation images each detector may reject (default 0.001). */
        public Builder optDropRate(double value) {
            dropRate = value;
            return this;
        }

        /** AE-I reformers trained jointly (default 1). */
        public Builder optReformers(int value) {
            reformers = value;
            return this;
        }

        /** α of the diversity term (default 0.2; only used with several reformers). */
        public Builder optDiversity(float value) {
            diversity = value;
            return this;
        }

        public MagNetSettings build() {
            return new MagNetSettings(training, noise, dropRate, reformers, diversity);
        }
    }
}
