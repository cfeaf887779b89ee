package org.parry.train;

import ai.djl.ndarray.NDArray;
import org.parry.data.Batch;

/**
 * A batch as a training loss sees it, after the objective's {@code prepare}: the clean images and
 * labels, and what the objective added. Arrays belong to the step's manager.
 *
 * @param x clean images [N, C, H, W]
 * @param y labels [N]
 * @param adversarial adversarial images [N, C, H, W] crafted for this step, or null
 * @param targets soft labels [N, K] (rows sum to one), or null
 * @param inputWeights per-pixel weights [N, C, H, W] on the input gradient that the objective's
 *     prepare chose for its loss (J-SIGR: outside the salient region), or null
 */
public record PreparedBatch(NDArray x, NDArray y, NDArray adversarial, NDArray targets,
        NDArray inputWeights) {

    /** A batch without input weights. */
    public PreparedBatch(NDArray x, NDArray y, NDArray adversarial, NDArray targets) {
        this(x, y, adversarial, targets, null);
    }

    public PreparedBatch {
        new Batch(x, y);
        if (adversarial != null && !adversarial.getShape().equals(x.getShape())) {
            throw new IllegalArgumentException("adversarial images are " + adversarial.getShape()
                    + " but the clean ones are " + x.getShape());
        }
        if (targets != null && (targets.getShape().dimension() != 2
                || targets.getShape().get(0) != x.getShape().get(0))) {
            throw new IllegalArgumentException("soft labels must be [" + x.getShape().get(0)
                    + ", K], got " + targets.getShape());
        }
        if (inputWeights != null && !inputWeights.getShape().equals(x.getShape())) {
            throw new IllegalArgumentException("input weights are " + inputWeights.getShape()
                    + " but the images are " + x.getShape());
        }
    }

    /** The clean batch alone. */
    public static PreparedBatch of(Batch batch) {
        return new PreparedBatch(batch.x(), batch.y(), null, null);
    }

    /** The clean batch with adversarial images for it. */
    public static PreparedBatch withAdversarial(Batch batch, NDArray adversarial) {
        return new PreparedBatch(batch.x(), batch.y(), adversarial, null);
    }

    /** The clean batch with soft labels for it. */
    public static PreparedBatch withTargets(Batch batch, NDArray targets) {
        return new PreparedBatch(batch.x(), batch.y(), null, targets);
    }

    /** The clean batch with per-pixel weights on its input gradient. */
    public static PreparedBatch withInputWeights(Batch batch, NDArray inputWeights) {
        return new PreparedBatch(batch.x(), batch.y(), null, null, inputWeights);
    }

    /** The adversarial images, or a clear error for an objective that forgot to craft them. */
    public NDArray requireAdversarial() {
        if (adversarial == null) {
            throw new IllegalStateException("this batch has no adversarial images; the objective's"
                    + " prepare must craft them");
        }
        return adversarial;
    }
}
