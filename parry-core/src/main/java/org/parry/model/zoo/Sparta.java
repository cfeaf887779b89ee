package org.parry.model.zoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;
import org.parry.attack.Require;

/**
 * A spatially attentive activation, after Guo, Juefei-Xu, Zhou, Feng, Liu and Wang, "Sparta:
 * spatially attentive and adversarially robust activation" (arXiv 2105.08269, 2021):
 *
 * <pre>
 *   Sparta(X) = X ⊙ σ(φ_θ(X)),   φ_θ(X)_c = w_c * X_c + b_c
 * </pre>
 *
 * where φ_θ is a depthwise (one filter per channel, groups = C) k×k convolution with bias and
 * same padding (zeros), and σ the logistic sigmoid. ReLU is {@code X ⊙ 1[X > 0]}, one fixed rule
 * at every position; Sparta learns the gate from each position's neighbourhood in its own channel.
 * Two special cases tie it to known activations: a filter that is zero but for its centre tap β,
 * with bias 0, gives Swish {@code x σ(βx)} (SiLU for β = 1), and β → ∞ gives ReLU.
 *
 * <p><b>Reconstructed.</b> No official code was found; the equation above is Parry's
 * reconstruction of the paper's idea (a learned, input-dependent, spatially varying gate from a
 * k×k neighbourhood) and has not been checked against §3 of the paper. The paper's other
 * ingredients (one module per stage, trained with the network under adversarial training, and
 * "transferable" modules frozen after training on another network) are left to the network that
 * hosts this block; {@link #copyParameters} and {@link #findAll} are the pieces transfer needs.
 *
 * <p><b>Initialization.</b> The filter starts as zeros with the centre tap 1 and the bias 0, so a
 * fresh module is exactly SiLU: the network starts from a known smooth activation and the
 * off-centre taps (which see different neighbours in every channel, so zero breaks no symmetry)
 * grow only as far as training asks.
 *
 * <p><b>Parameters.</b> Two, named {@code "weight"} [C, 1, k, k] and {@code "bias"} [C], held by
 * this block itself (no child blocks): inside a {@code SequentialBlock} they appear as {@code
 * "NNSparta_weight"} and {@code "NNSparta_bias"} (NN = the block's position). {@code
 * freezeParameters(true)} on this block freezes exactly these two; Parry's trainer keeps the
 * modules it reused from another model ({@code --sparta-from}) frozen by excluding them from the
 * parameters it trains.
 */
public final class Sparta extends AbstractBlock {

    private static final byte VERSION = 1;

    /** The default kernel size k. */
    public static final int DEFAULT_KERNEL = 3;

    private final int channels;
    private final int kernel;
    private final Parameter weight;
    private final Parameter bias;

    /** A 3×3 Sparta over {@code channels} channels. */
    public Sparta(int channels) {
        this(channels, DEFAULT_KERNEL);
    }

    /**
     * @param channels C, the channel count of the inputs
     * @param kernel k, odd, so that same padding is symmetric
     */
    public Sparta(int channels, int kernel) {
        super(VERSION);
        Require.atLeast("Sparta channels", channels, 1);
        Require.atLeast("Sparta kernel size", kernel, 1);
        if (kernel % 2 == 0) {
            throw new IllegalArgumentException("Sparta kernel size must be odd (same padding), got "
                    + kernel + "; use 3 or 5");
        }
        this.channels = channels;
        this.kernel = kernel;
        weight = addParameter(Parameter.builder()
                .setName("weight")
                .setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(channels, 1, kernel, kernel))
                .optInitializer(Sparta::siluFilter)
                .build());
        bias = addParameter(Parameter.builder()
                .setName("bias")
                .setType(Parameter.Type.BIAS)
                .optShape(new Shape(channels))
                .build());
    }

    /** The filter of SiLU: zeros with 1 at the centre tap. */
    private static NDArray siluFilter(NDManager manager, Shape shape, DataType dataType) {
        NDArray filter = manager.zeros(shape, dataType);
        long centre = shape.get(2) / 2;
        filter.set(new NDIndex(":, :, {}, {}", centre, centre), 1);
        return filter;
    }

    /** C. */
    public int channels() {
        return channels;
    }

    /** k. */
    public int kernel() {
        return kernel;
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        requireInput(x.getShape());
        NDArray w = store.getValue(weight, x.getDevice(), training);
        NDArray b = store.getValue(bias, x.getDevice(), training);
        int padding = kernel / 2;
        NDArray phi = Conv2d.conv2d(x, w, b, new Shape(1, 1), new Shape(padding, padding),
                new Shape(1, 1), channels).singletonOrThrow();
        return new NDList(x.mul(Activation.sigmoid(phi)));
    }

    private void requireInput(Shape shape) {
        if (shape.dimension() != 4 || shape.get(1) != channels) {
            throw new IllegalArgumentException("Sparta over " + channels
                    + " channels expects inputs of shape (N, " + channels + ", H, W), got " + shape);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        requireInput(inputShapes[0]);
        return new Shape[] {inputShapes[0]};
    }

    /**
     * Copies one module's filter and bias into another, converting to the target's data type:
     * how a Sparta trained on one network is reused in another with the same stage widths.
     *
     * @throws IllegalArgumentException when channel counts or kernel sizes differ
     * @throws IllegalStateException when either module is not initialized
     */
    public static void copyParameters(Sparta source, Sparta target) {
        if (source.channels != target.channels || source.kernel != target.kernel) {
            throw new IllegalArgumentException("cannot copy a Sparta over " + source.channels
                    + " channels (" + source.kernel + "x" + source.kernel + ") into one over "
                    + target.channels + " channels (" + target.kernel + "x" + target.kernel
                    + "): transfer needs the same stage widths and kernel size");
        }
        if (!source.isInitialized() || !target.isInitialized()) {
            throw new IllegalStateException(
                    "initialize both networks before copying Sparta parameters between them");
        }
        copy(source.weight, target.weight);
        copy(source.bias, target.bias);
    }

    private static void copy(Parameter from, Parameter to) {
        NDArray destination = to.getArray();
        destination.set(new NDIndex("..."), from.getArray().toType(destination.getDataType(), true));
    }

    /**
     * Every Sparta module in a network, in the order of its blocks (depth first), for copying a
     * network's modules one by one into another's.
     */
    public static List<Sparta> findAll(Block network) {
        List<Sparta> found = new ArrayList<>();
        collect(network, found);
        return found;
    }

    private static void collect(Block block, List<Sparta> found) {
        if (block instanceof Sparta sparta) {
            found.add(sparta);
            return;
        }
        for (Block child : block.getChildren().values()) {
            collect(child, found);
        }
    }
}
