package org.parry.model.zoo;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parry.model.Normalization;

/** The architectures Parry can build and train, by name. */
public final class ModelZoo {

    private static final Map<String, Architecture> ARCHITECTURES = new LinkedHashMap<>();

    static {
        for (Architecture architecture : List.of(new LinearModel(), new Mlp(), new SmallCnn(),
                new MadryCnn(), new LeNet5(), new PreActResNet18(), new Cnn3(),
                new OdeNet(), new TisOde(), new ResCnn())) {
            ARCHITECTURES.put(architecture.id(), architecture);
        }
    }

    private ModelZoo() {}

    /** The architecture names, in the order the CLI lists them. */
    public static List<String> names() {
        return List.copyOf(ARCHITECTURES.keySet());
    }

    /**
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static Architecture get(String name) {
        Architecture architecture = ARCHITECTURES.get(name);
        if (architecture == null) {
            throw new IllegalArgumentException(
                    "unknown architecture '" + name + "'; choose one of " + names());
        }
        return architecture;
    }

    /** The architectures that can host a robust block. */
    private static List<String> hosts(String block) {
        return ARCHITECTURES.values().stream().filter(a -> a.hosts().contains(block))
                .map(Architecture::id).toList();
    }

    /**
     * Builds the full network, normalization layer first, uninitialized.
     *
     * @throws IllegalArgumentException for a first-layer stride on an architecture without
     *     convolutions, or a robust block the architecture cannot host
     */
    public static Block build(String name, Shape inputShape, int numClasses,
            ArchitectureOptions options, Normalization normalization) {
        Architecture architecture = get(name);
        if (options.firstStride() != 1 && !architecture.hasConvolutions()) {
            throw new IllegalArgumentException("architecture '" + name + "' has no convolution, so"
                    + " its first-layer stride must be 1 (got " + options.firstStride() + ")");
        }
        for (String block : options.robustBlocks()) {
            if (!architecture.hosts().contains(block)) {
                throw new IllegalArgumentException("architecture '" + name + "' cannot host a "
                        + block + " block; use one that can: " + hosts(block));
            }
        }
        return new SequentialBlock()
                .add(normalization.asBlock())
                .add(architecture.build(inputShape, numClasses, options.resolved(architecture)));
    }
}
