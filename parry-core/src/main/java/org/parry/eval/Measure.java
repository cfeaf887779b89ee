package org.parry.eval;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import org.parry.data.ImageDataset;
import org.parry.model.BlockClassifier;

/**
 * One number a {@link DefenseComparison} measures on a trained model, e.g. clean accuracy or
 * accuracy under PGD-20: named by its {@link #key}, computed on the first {@link #points} test
 * images, cached under that key. {@link Measures} makes the protocol's usual ones.
 */
public interface Measure {

    /** The name the number is cached and shown under, e.g. {@code pgd20}. */
    String key();

    /** How many of the first test images it runs on. */
    int points();

    /**
     * Measures the model.
     *
     * @param test the first {@link #points} test images
     * @param scratch a directory of the model's own for files the measure keeps (e.g. an
     *     evaluation journal that lets an interrupted AutoAttack resume)
     */
    Outcome measure(BlockClassifier model, ImageDataset test, Path scratch) throws IOException;

    /**
     * What a measure found.
     *
     * @param value the number, e.g. an accuracy in [0, 1]
     * @param flags findings that qualify it, by name (e.g. the sanity checks that did not pass);
     *     empty when there are none
     */
    record Outcome(double value, Map<String, String> flags) {

        public Outcome {
            flags = Map.copyOf(Objects.requireNonNull(flags, "flags"));
        }

        public static Outcome of(double value) {
            return new Outcome(value, Map.of());
        }
    }
}
