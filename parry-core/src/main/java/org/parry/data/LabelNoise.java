package org.parry.data;

import java.util.SplittableRandom;

/**
 * Symmetric label noise, for studying training on low-quality data (Tao et al., "With false
 * friends like these, who can notice mistakes?", AAAI 2022, train substandard models on noisy
 * labels): each label, independently with probability {@code rate}, is replaced by a class drawn
 * uniformly from the other K − 1 classes, so a changed label is always wrong and the fraction of
 * wrong labels is {@code rate} in expectation. The draws depend only on the seed (a {@link
 * SplittableRandom}, the same on every JVM): the same seed gives the same labels.
 */
public final class LabelNoise {

    private LabelNoise() {}

    /**
     * @throws IllegalArgumentException unless {@code rate} is in [0, 1)
     */
    public static void checkRate(float rate) {
        if (!(rate >= 0f && rate < 1f)) {
            throw new IllegalArgumentException("the label-noise rate must be in [0, 1) (the"
                    + " probability that a training label is replaced by another class), got "
                    + rate);
        }
    }

    /**
     * The data set with noisy labels; the images are shared. A rate of 0 returns {@code data}.
     *
     * @throws IllegalArgumentException for a rate outside [0, 1), or a rate above 0 on a data set
     *     with one class (no other class to draw)
     */
    public static ImageDataset symmetric(ImageDataset data, float rate, long seed) {
        checkRate(rate);
        if (rate == 0f) {
            return data;
        }
        int classes = data.numClasses();
        if (classes < 2) {
            throw new IllegalArgumentException("label noise needs at least two classes, data set '"
                    + data.name() + "' has " + classes);
        }
        SplittableRandom random = new SplittableRandom(seed);
        int[] labels = data.labels();
        for (int i = 0; i < labels.length; i++) {
            if (random.nextDouble() < rate) {
                int other = random.nextInt(classes - 1);
                labels[i] = other < labels[i] ? other : other + 1;
            }
        }
        return data.withLabels(labels);
    }
}
