package org.parry.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import java.util.Arrays;
import org.parry.data.ImageDataset;

/**
 * Per-channel standardization, (x - mean) / std, applied as the first layer of a model so that
 * data and attacks stay in pixel space [0, 1].
 *
 * @param mean one value per channel
 * @param std one positive value per channel
 */
public record Normalization(float[] mean, float[] std) {

    public Normalization {
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("normalization needs one mean and one std per channel, got "
                    + mean.length + " means and " + std.length + " stds");
        }
        for (float s : std) {
            if (!(s > 0f)) {
                throw new IllegalArgumentException("normalization std must be > 0, got " + Arrays.toString(std));
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** The identity on C channels (mean 0, std 1). */
    public static Normalization identity(int channels) {
        float[] zeros = new float[channels];
        float[] ones = new float[channels];
        Arrays.fill(ones, 1f);
        return new Normalization(zeros, ones);
    }

    /**
     * Mean and standard deviation of each channel over (at most the first 10,000 images of) a
     * data set, the usual choice for a model trained on it.
     */
    public static Normalization of(ImageDataset data) {
        int channels = data.channels();
        int planeSize = data.height() * data.width();
        double[] sum = new double[channels];
        double[] sumOfSquares = new double[channels];
        int images = Math.min(data.size(), 10_000);
        for (int i = 0; i < images; i++) {
            float[] pixels = data.image(i);
            for (int j = 0; j < pixels.length; j++) {
                sum[j / planeSize] += pixels[j];
                sumOfSquares[j / planeSize] += (double) pixels[j] * pixels[j];
            }
        }
        float[] mean = new float[channels];
        float[] std = new float[channels];
        double count = (double) images * planeSize;
        for (int c = 0; c < channels; c++) {
            double m = sum[c] / count;
            mean[c] = (float) m;
            std[c] = (float) Math.max(Math.sqrt(Math.max(sumOfSquares[c] / count - m * m, 0)), 1e-3);
        }
        return new Normalization(mean, std);
    }

    /** The layer that applies it to [N, C, H, W] batches. */
    public Block asBlock() {
        int channels = mean.length;
        float[] meanValues = mean.clone();
        float[] stdValues = std.clone();
        return new LambdaBlock(inputs -> {
            NDArray x = inputs.singletonOrThrow();
            NDArray m = x.getManager().create(meanValues).reshape(1, channels, 1, 1);
            NDArray s = x.getManager().create(stdValues).reshape(1, channels, 1, 1);
            return new NDList(x.sub(m).div(s));
        }, "normalization");
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Normalization n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Normalization[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }
}
