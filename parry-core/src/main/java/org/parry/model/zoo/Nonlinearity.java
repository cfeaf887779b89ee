package org.parry.model.zoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import org.parry.Identified;

/**
 * The activation functions zoo models can use. ReLU is the default; the smooth ones are one of
 * the "bag of tricks" against catastrophic overfitting in single-step adversarial training (Li et
 * al., "Understanding and improving fast adversarial training...", arXiv 2209.02684, 2022).
 * Swapping them changes no shape and no parameter count.
 */
public enum Nonlinearity implements Identified {
    RELU("relu"),
    /** log(1 + e^x), computed as relu(x) + log(1 + e^-|x|) so that it never overflows. */
    SOFTPLUS("softplus"),
    /** x · sigmoid(x) (SiLU, swish with β = 1). */
    SILU("silu"),
    GELU("gelu"),
    /** x for x > 0, e^x - 1 otherwise. */
    ELU("elu"),
    /**
     * The spatially attentive activation x ⊙ σ(φ(x)) with a learned depthwise filter φ per channel
     * ({@link Sparta}); it has parameters, so only {@link #block(int)} builds it, in architectures
     * that host it (the convolutional stages of {@code cnn3}).
     */
    SPARTA("sparta");

    private final String id;

    Nonlinearity(String id) {
        this.id = id;
    }

    @Override
    public String id() {
        return id;
    }

    /**
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static Nonlinearity parse(String text) {
        return Identified.parse(values(), text, "activation");
    }

    /**
     * Applies the function elementwise.
     *
     * @throws IllegalStateException for {@link #SPARTA}, which has parameters
     */
    public NDArray apply(NDArray x) {
        return switch (this) {
            case RELU -> Activation.relu(x);
            case SOFTPLUS -> Activation.relu(x).add(x.abs().neg().exp().add(1f).log());
            case SILU -> x.mul(Activation.sigmoid(x));
            case GELU -> Activation.gelu(x);
            case ELU -> Activation.elu(x, 1f);
            case SPARTA -> throw new IllegalStateException(
                    "sparta has parameters per channel; build it with block(channels)");
        };
    }

    /** Whether the activation has parameters (Sparta): then only {@link #block(int)} builds it. */
    public boolean parametric() {
        return this == SPARTA;
    }

    /** The activation of a convolutional stage of {@code channels} channels. */
    public Block block(int channels) {
        return this == SPARTA ? new Sparta(channels) : block();
    }

    /** A parameterless block applying the function (ReLU is DJL's own block). */
    public Block block() {
        if (this == RELU) {
            return Activation.reluBlock();
        }
        return new LambdaBlock(inputs -> new NDList(apply(inputs.singletonOrThrow())), id);
    }
}
