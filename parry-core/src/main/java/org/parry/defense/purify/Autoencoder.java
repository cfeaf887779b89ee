package org.parry.defense.purify;

import ai.djl.ndarray.NDArray;
import org.parry.model.Bounds;

/**
 * A map from images back to images, r: [0, 1]^{C×H×W} → [0, 1]^{C×H×W}, trained to send an input
 * to the nearest point of the clean data's manifold: MagNet's reformer and its detectors' yardstick
 * (a {@link DenoisingAutoencoder}), or the identity, on which every MagNet score is zero. Works on
 * the [0, 1] pixels of the images it was trained on; {@link #reconstruct(NDArray, Bounds)} maps
 * another box to them and back. An autoencoder with trained weights releases them in {@link
 * #close()}.
 */
@FunctionalInterface
public interface Autoencoder extends AutoCloseable {

    /**
     * The reconstruction of a batch.
     *
     * @param u [N, C, H, W] pixels in [0, 1]
     * @return [N, C, H, W] in [0, 1], in {@code u}'s manager, differentiable in {@code u}
     */
    NDArray reconstruct(NDArray u);

    /**
     * The reconstruction of a batch in another box, clipped into it: x ↦ clip(lo + w · r((x - lo)
     * / w), lo, hi) with w = hi - lo; on [0, 1], clip(r(x), 0, 1) exactly.
     */
    default NDArray reconstruct(NDArray x, Bounds bounds) {
        NDArray u = x.sub(bounds.lower()).div(bounds.range());
        return bounds.clip(reconstruct(u).mul(bounds.range()).add(bounds.lower()));
    }

    /** Releases the autoencoder's weights, if any. */
    @Override
    default void close() {}
}
