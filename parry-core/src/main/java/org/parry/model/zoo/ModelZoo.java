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
                new MadryCnn(), new LeNet5(), new PreActResNet18())) {
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

    /**
     * Builds the full network, normalization layer first, uninitialized.
     *
     * @param width the base width, or 0 for the architecture's default
     */
    public static Block build(String name, Shape inputShape, int numClasses, int width,
            Normalization normalization) {
        Architecture architecture = get(name);
        if (width < 0) {
            throw new IllegalArgumentException("width must be >= 0 (0 = default), got " + width);
        }
        int chosenWidth = width == 0 ? architecture.defaultWidth() : width;
        return new SequentialBlock()
                .add(normalization.asBlock())
                .add(architecture.build(inputShape, numClasses, chosenWidth));
    }
}
