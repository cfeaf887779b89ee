package org.parry.defense.purify;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.parry.model.Bounds;
import org.parry.model.Stage;

/**
 * MagNet's reformer (Meng and Chen, ACM CCS 2017) as a stage in front of a classifier: an
 * autoencoder trained on clean data moves its input towards the data manifold, and the classifier
 * sees the result,
 * <pre>
 *   s(x) = clip(AE(x), box)
 * </pre>
 * so {@code Pipeline.builder(network).add(reformer)} is MagNet's reformer and classifier. The
 * stage is differentiable: autograd through the autoencoder ({@link
 * org.parry.model.GradientMode#EXACT}) is the white-box attack on the whole pipeline that breaks
 * MagNet (Carlini and Wagner, "MagNet and 'Efficient defenses against adversarial attacks' are not
 * robust to adversarial examples", 2017); BPDA's identity stand-in is the attack that ignores it.
 *
 * <p>With n > 1 autoencoders it is MagNet's gray-box defense: every forward pass picks one of
 * them at random, i ~ U{0, ..., n − 1}, for the whole batch, s(x) = clip(AE_i(x), box); trained
 * for diversity ({@link AutoencoderTraining}), they differ enough that an attack crafted through
 * one transfers poorly to the others. The stage is then {@link #randomized()}, and a pipeline
 * averages an attack's gradient over draws (EOT) when asked to.
 */
public final class Reformer implements Stage {

    private final List<Autoencoder> autoencoders;
    private final Map<String, Object> settings;
    private final boolean owner;

    /**
     * A reformer over {@code autoencoders}, which stay the caller's to close.
     *
     * @param autoencoders one, or several to pick from at random
     */
    public Reformer(List<? extends Autoencoder> autoencoders) {
        this(autoencoders, Map.of(), false);
    }

    /**
     * @param settings what the card shows: the {@code dir} a registry spec named, or nothing
     * @param owner whether {@link #close()} closes the autoencoders
     */
    Reformer(List<? extends Autoencoder> autoencoders, Map<String, Object> settings,
            boolean owner) {
        if (autoencoders.isEmpty()) {
            throw new IllegalArgumentException("a reformer needs at least one autoencoder");
        }
        this.autoencoders = List.copyOf(autoencoders);
        this.settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        this.owner = owner;
    }

    @Override
    public String name() {
        return "magnet";
    }

    @Override
    public Map<String, Object> settings() {
        return settings;
    }

    @Override
    public NDArray apply(NDArray x, Bounds bounds, SplittableRandom random) {
        Autoencoder chosen = autoencoders.size() == 1 ? autoencoders.get(0)
                : autoencoders.get(random.nextInt(autoencoders.size()));
        if (chosen instanceof DenoisingAutoencoder trained
                && !trained.imageShape().equals(x.getShape().slice(1))) {
            throw new IllegalArgumentException("magnet: its autoencoders were trained on images of"
                    + " shape " + trained.imageShape() + ", the batch holds "
                    + x.getShape().slice(1) + "; train MagNet on the model's data");
        }
        return chosen.reconstruct(x, bounds);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public boolean randomized() {
        return autoencoders.size() > 1;
    }

    /** Closes the autoencoders if this reformer owns them (loaded from a directory). */
    @Override
    public void close() {
        if (owner) {
            autoencoders.forEach(Autoencoder::close);
        }
    }
}
