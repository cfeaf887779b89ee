package org.parry.model.zoo;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.Set;

/**
 * A network architecture of the model zoo: builds an uninitialized DJL block that maps
 * normalized [N, C, H, W] inputs to [N, K] logits. Normalization is added in front by
 * {@link ModelZoo#build}, never here.
 */
public interface Architecture {

    /** The name users type, e.g. {@code small-cnn}. */
    String id();

    /** One line: layers and where the architecture comes from. */
    String description();

    /** The width used when the user asks for none (the meaning is per architecture). */
    int defaultWidth();

    /** Whether the architecture has a first convolution whose stride can change. */
    default boolean hasConvolutions() {
        return true;
    }

    /**
     * The robust blocks this architecture can host: {@code cifs}, {@code sparta}, {@code denoise}
     * (none by default). {@link ModelZoo#build} refuses options asking for another.
     */
    default Set<String> hosts() {
        return Set.of();
    }

    /**
     * @param inputShape (C, H, W)
     * @param numClasses K
     * @param options width (resolved: never 0), activation and first-convolution stride
     */
    Block build(Shape inputShape, int numClasses, ArchitectureOptions options);
}
