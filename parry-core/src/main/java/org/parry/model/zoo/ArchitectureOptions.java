package org.parry.model.zoo;

import java.util.Objects;

/**
 * How to build an architecture: its base width, its activation function and the stride of its
 * first convolution. A larger first stride is one of the "bag of tricks" against catastrophic
 * overfitting (Li et al., arXiv 2209.02684, 2022); architectures without convolutions accept only
 * stride 1.
 *
 * @param width the base width (0 = the architecture's default)
 * @param activation the nonlinearity after every hidden layer
 * @param firstStride stride of the first convolution, >= 1
 */
public record ArchitectureOptions(int width, Nonlinearity activation, int firstStride) {

    /** The architecture's default width, ReLU, stride 1. */
    public static final ArchitectureOptions DEFAULT = new ArchitectureOptions(0, Nonlinearity.RELU, 1);

    public ArchitectureOptions {
        Objects.requireNonNull(activation, "activation");
        if (width < 0) {
            throw new IllegalArgumentException("width must be >= 0 (0 = default), got " + width);
        }
        if (firstStride < 1 || firstStride > 4) {
            throw new IllegalArgumentException("first-layer stride must be in 1..4, got " + firstStride);
        }
    }

    /** ReLU and stride 1 with this width. */
    public static ArchitectureOptions ofWidth(int width) {
        return new ArchitectureOptions(width, Nonlinearity.RELU, 1);
    }

    /** These options with the architecture's default width filled in. */
    ArchitectureOptions resolved(Architecture architecture) {
        return width == 0
                ? new ArchitectureOptions(architecture.defaultWidth(), activation, firstStride)
                : this;
    }
}
