package org.parry.model.zoo;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
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
     *     convolutions, a robust block the architecture cannot host, or a cosine head on one
     *     whose last layer is not linear
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
        Block network = architecture.build(inputShape, numClasses, options.resolved(architecture));
        if (options.head() == ClassifierHead.COSINE) {
            network = withCosineHead(name, network, numClasses, options.cosineScale());
        }
        if (options.dropout() > 0f) {
            network = withDropout(name, network, options.dropout());
        }
        return new SequentialBlock().add(normalization.asBlock()).add(network);
    }

    /**
     * The network with a dropout layer of rate {@code rate} before its last layer.
     *
     * @throws IllegalArgumentException for a network that is not a sequence of layers
     */
    static Block withDropout(String name, Block network, float rate) {
        List<Block> layers = network instanceof SequentialBlock
                ? network.getChildren().values() : List.of();
        if (layers.size() < 2) {
            throw new IllegalArgumentException("architecture '" + name + "' is not a sequence of"
                    + " layers, so Parry cannot put a dropout layer before its last one");
        }
        return new SequentialBlock().addAll(layers.subList(0, layers.size() - 1))
                .add(Dropout.builder().optRate(rate).build()).add(layers.get(layers.size() - 1));
    }

    /**
     * The network with its last layer, a fully connected one, replaced by a {@link CosineLinear}
     * of K units (the other layers are the same blocks, in the same order).
     *
     * @throws IllegalArgumentException for a network that is not a sequence ending in a linear
     *     layer
     */
    static Block withCosineHead(String name, Block network, int numClasses, float scale) {
        List<Block> layers = network instanceof SequentialBlock
                ? network.getChildren().values() : List.of();
        if (layers.isEmpty() || !(layers.get(layers.size() - 1) instanceof Linear)) {
            throw new IllegalArgumentException("architecture '" + name + "' does not end in a"
                    + " linear layer, so it cannot take a cosine head; use the linear head");
        }
        return new SequentialBlock().addAll(layers.subList(0, layers.size() - 1))
                .add(new CosineLinear(numClasses, scale));
    }
}
