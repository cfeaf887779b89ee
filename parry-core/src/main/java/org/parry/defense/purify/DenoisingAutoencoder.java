package org.parry.defense.purify;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.parry.Identified;
import org.parry.io.AtomicFiles;
import org.parry.model.SavedModel;

/**
 * The denoising autoencoders of MagNet (Meng and Chen, "MagNet: a two-pronged defense against
 * adversarial examples", ACM CCS 2017), as the authors' MNIST code builds them: 3 × 3 convolutions
 * with same padding and sigmoid activations throughout,
 * <pre>
 *   AE-I:  conv3 - avgpool2 - conv3  |  conv3 - upsample2 - conv3 - conv_C     (reformer, E_2)
 *   AE-II: conv3                     |  conv3 - conv_C                         (detector, E_1)
 * </pre>
 * (conv_k: k output channels; upsample2: nearest-neighbour, each pixel repeated 2 × 2), trained
 * by {@link AutoencoderTraining} to map x + v·z, z ~ N(0, I), back to x. Weights start as Keras'
 * default (Glorot uniform, zero biases). The code's L2 activity penalty of 1e-9 is left out: on
 * these activations it adds less than 1e-6 to a loss of about 1e-2. AE-I needs an even height and
 * width (its pooling halves them and the upsampling doubles them back).
 *
 * <p>The parameters stay frozen except while {@link AutoencoderTraining} trains them, so a
 * gradient taken through the autoencoder (an attack on MagNet's reformer) leaves none behind.
 */
public final class DenoisingAutoencoder implements Autoencoder {

    /** The two architectures of the MNIST code. */
    public enum Architecture implements Identified {
        /** Encoder conv3-avgpool2-conv3, decoder conv3-upsample2-conv3-conv_C. */
        AE_I("ae-i"),
        /** Encoder conv3, decoder conv3-conv_C. */
        AE_II("ae-ii");

        private final String id;

        Architecture(String id) {
            this.id = id;
        }

        @Override
        public String id() {
            return id;
        }

        /** @throws IllegalArgumentException for an unknown name, listing the known ones */
        public static Architecture parse(String text) {
            return Identified.parse(values(), text, "autoencoder");
        }

        Block build(int channels) {
            SequentialBlock block = new SequentialBlock().add(convolution(3));
            if (this == AE_I) {
                block.add(Pool.avgPool2dBlock(new Shape(2, 2))).add(convolution(3));
            }
            block.add(convolution(3));
            if (this == AE_I) {
                block.add(new LambdaBlock(inputs -> new NDList(
                        inputs.singletonOrThrow().repeat(2, 2).repeat(3, 2)), "upsample"))
                        .add(convolution(3));
            }
            return block.add(convolution(channels));
        }

        private static Block convolution(int filters) {
            return new SequentialBlock()
                    .add(Conv2d.builder().setKernelShape(new Shape(3, 3))
                            .optPadding(new Shape(1, 1)).setFilters(filters).build())
                    .add(Activation.sigmoidBlock());
        }
    }

    private final Architecture architecture;
    private final Shape imageShape;
    private final Block block;
    private final NDManager owner;
    private final ParameterStore store;

    private DenoisingAutoencoder(Architecture architecture, Shape imageShape, Block block,
            NDManager owner) {
        this.architecture = architecture;
        this.imageShape = imageShape;
        this.block = block;
        this.owner = owner;
        this.store = new ParameterStore(owner, false);
        block.freezeParameters(true);
    }

    /**
     * A freshly initialized autoencoder, its weights drawn with {@code seed}.
     *
     * @param imageShape (C, H, W) of the images it will reconstruct
     * @throws IllegalArgumentException for a shape AE-I cannot reconstruct (odd height or width)
     */
    public static DenoisingAutoencoder create(Architecture architecture, Shape imageShape,
            long seed) {
        if (imageShape.dimension() != 3) {
            throw new IllegalArgumentException("an autoencoder's image shape is (C, H, W), got "
                    + imageShape);
        }
        if (architecture == Architecture.AE_I
                && (imageShape.get(1) % 2 != 0 || imageShape.get(2) % 2 != 0)) {
            throw new IllegalArgumentException("ae-i halves and doubles the image, so it needs an"
                    + " even height and width, got " + imageShape + "; use ae-ii");
        }
        Engine.getInstance().setRandomSeed(Long.hashCode(seed));
        return build(architecture, imageShape);
    }

    /**
     * An autoencoder with the weights {@link #save} wrote.
     *
     * @throws IOException naming the file, when it is missing, corrupt or of another architecture
     */
    public static DenoisingAutoencoder load(Architecture architecture, Shape imageShape,
            Path weights) throws IOException {
        DenoisingAutoencoder autoencoder = build(architecture, imageShape);
        try {
            SavedModel.readWeights(autoencoder.block, autoencoder.owner, weights);
        } catch (IOException | RuntimeException e) {
            autoencoder.close();
            throw new IOException(weights + ": cannot read the weights of an " + architecture.id()
                    + " autoencoder for images " + imageShape + " (" + e.getMessage() + ")", e);
        }
        autoencoder.block.freezeParameters(true);
        return autoencoder;
    }

    private static DenoisingAutoencoder build(Architecture architecture, Shape imageShape) {
        NDManager manager = NDManager.newBaseManager();
        Block block = architecture.build(Math.toIntExact(imageShape.get(0)));
        block.setInitializer(new XavierInitializer(XavierInitializer.RandomType.UNIFORM,
                XavierInitializer.FactorType.AVG, 3), Parameter.Type.WEIGHT);
        block.initialize(manager, DataType.FLOAT32, new Shape(1).addAll(imageShape));
        return new DenoisingAutoencoder(architecture, imageShape, block, manager);
    }

    /** Writes the weights to {@code weights}, atomically. */
    public void save(Path weights) throws IOException {
        AtomicFiles.write(weights, out -> block.saveParameters(new DataOutputStream(out)));
    }

    public Architecture architecture() {
        return architecture;
    }

    /** (C, H, W) of the images it reconstructs. */
    public Shape imageShape() {
        return imageShape;
    }

    @Override
    public NDArray reconstruct(NDArray u) {
        return forward(u, false);
    }

    /** The forward pass; {@code training} only matters to layers this architecture lacks. */
    NDArray forward(NDArray u, boolean training) {
        return block.forward(store, new NDList(u), training).singletonOrThrow();
    }

    /** The weights and biases, for {@link AutoencoderTraining}. */
    List<Parameter> parameters() {
        return block.getParameters().values();
    }

    /** Lets {@link AutoencoderTraining} update the parameters (false) or freezes them (true). */
    void freeze(boolean frozen) {
        block.freezeParameters(frozen);
    }

    @Override
    public void close() {
        owner.close();
    }
}
