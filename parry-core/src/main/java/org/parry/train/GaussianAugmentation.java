package org.parry.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.parry.data.Batch;

/**
 * Gaussian-noise augmentation as TisODE's training code uses it (Yan, Du, Tan and Feng, "On
 * robustness of neural ordinary differential equations", ICLR 2020; code HanshuYAN/TisODE): each
 * training image, independently with probability ½, becomes
 * <pre>
 *   x' = clip(x + σ·n, 0, 1),   n ~ N(0, I),   σ drawn uniformly from {50, 75, 100}/255
 * </pre>
 * and keeps its label. Draws come from the batch manager's generator, which the trainer reseeds
 * every epoch, so a resumed run repeats an uninterrupted one.
 */
final class GaussianAugmentation {

    /** The standard deviations of the code, on the [0, 1] pixel scale. */
    static final float[] SIGMAS = {50f / 255f, 75f / 255f, 100f / 255f};

    private GaussianAugmentation() {}

    /** The batch with noise added to about half of its images. */
    static Batch apply(Batch batch) {
        NDArray x = batch.x();
        NDManager manager = x.getManager();
        long n = x.getShape().get(0);
        Shape perImage = new Shape(n, 1, 1, 1);
        NDArray chosen = manager.randomUniform(0f, 1f, perImage).lt(0.5f)
                .toType(x.getDataType(), false);
        NDArray sigma = manager.create(SIGMAS).toType(x.getDataType(), false)
                .get(manager.randomInteger(0, SIGMAS.length, new Shape(n), DataType.INT64))
                .reshape(perImage);
        NDArray noise = manager.randomNormal(x.getShape()).toType(x.getDataType(), false);
        NDArray noisy = x.add(noise.mul(sigma).mul(chosen)).clip(0f, 1f);
        return new Batch(noisy, batch.y());
    }
}
