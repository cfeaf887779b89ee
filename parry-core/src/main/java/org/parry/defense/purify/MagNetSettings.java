package org.parry.defense.purify;

import org.parry.train.TrainingSettings;

/**
 * How to train a {@link MagNet}: its autoencoders' training and its detectors' drop rate.
 * Defaults follow the authors' MNIST code where a CPU allows: noise v = 0.1, Adam 1e-3, batch 256,
 * drop rate 0.001 per detector; 10 epochs instead of the code's 100 (about a minute per
 * autoencoder on Fashion-MNIST on two cores). Immutable and validated; build it with
 * {@link #builder()}.
 *
 * @param epochs passes over the training set, per autoencoder
 * @param batchSize images per step
 * @param learningRate Adam's rate
 * @param noise v, the training noise's standard deviation on [0, 1] pixels
 * @param dropRate the fraction of clean validation images each detector may reject, in (0, 1)
 * @param reformers n, how many AE-I reformers to train jointly: 1 for MagNet, more for its
 *     gray-box defense that picks one at random per query (the lecture's table uses 8)
 * @param diversity α in [0, 1), the weight of the diversity term when {@code reformers} > 1;
 *     0.2 by default, our choice (the authors' code leaves it to the caller)
 * @param seed seeds the weights, the shuffling and the noise
 */
public record MagNetSettings(int epochs, int batchSize, float learningRate, float noise,
        double dropRate, int reformers, float diversity, long seed) {

    public MagNetSettings {
        if (epochs < 1) {
            throw new IllegalArgumentException("magnet: epochs must be >= 1, got " + epochs);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("magnet: batch size must be >= 1, got "
                    + batchSize);
        }
        if (!(learningRate > 0f && Float.isFinite(learningRate))) {
            throw new IllegalArgumentException("magnet: learning rate must be > 0, got "
                    + learningRate);
        }
        requireNoise(noise);
        DropRate.require(dropRate);
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

    /** The trainer's settings for one group of autoencoders: Adam, constant rate. */
    public TrainingSettings training() {
        return TrainingSettings.builder().optEpochs(epochs).optBatchSize(batchSize)
                .optOptimizer("adam").optLearningRate(learningRate).optSeed(seed).build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link MagNetSettings}; every option has a default. */
    public static final class Builder {
        private int epochs = 10;
        private int batchSize = 256;
        private float learningRate = 1e-3f;
        private float noise = 0.1f;
        private double dropRate = 0.001;
        private int reformers = 1;
        private float diversity = 0.2f;
        private long seed = 0L;

        private Builder() {}

        /** Epochs per autoencoder (default 10). */
        public Builder optEpochs(int value) {
            epochs = value;
            return this;
        }

        /** Images per step (default 256). */
        public Builder optBatchSize(int value) {
            batchSize = value;
            return this;
        }

        /** Adam's rate (default 1e-3). */
        public Builder optLearningRate(float value) {
            learningRate = value;
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

        /** The seed (default 0). */
        public Builder optSeed(long value) {
            seed = value;
            return this;
        }

        public MagNetSettings build() {
            return new MagNetSettings(epochs, batchSize, learningRate, noise, dropRate, reformers,
                    diversity, seed);
        }
    }
}
