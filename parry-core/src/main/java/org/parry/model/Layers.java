package org.parry.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.parry.loss.LogitLoss;
import org.parry.model.zoo.CifsBlock;
import org.parry.model.zoo.FeatureDenoising;
import org.parry.model.zoo.GroupNorm;
import org.parry.model.zoo.Sparta;

/**
 * The layers of a Parry model ({@link BlockClassifier}), for reading its intermediate activations.
 * A zoo model is {@code SequentialBlock(normalization, architecture)} and its architecture a
 * {@code SequentialBlock} whose children may be further {@code SequentialBlock}s; flattened, they
 * are one chain of leaf blocks (a residual unit or a CIFS block is one leaf). Each {@link Layer} is
 * named by its index path ({@code 1.5} = child 5 of child 1) and its kind (the block's class, or
 * the name of a lambda block such as {@code maxPool2d}), with the shape of its output.
 *
 * <p>Splitting at a layer gives the head, x &rarr; features (the layer's output), and the tail,
 * features &rarr; logits; the tail of the head is the model's forward pass, the same operations in
 * the same order, so bit for bit the model's logits. Both run in evaluation mode
 * ({@code training=false}) with the classifier's parameter store, and {@link #tailGradient} takes
 * the gradient of a per-sample function of the logits with respect to the features, as {@link
 * DifferentiableClassifier} takes it with respect to the input (one gradient collector, parameters
 * frozen). Not thread-safe, like the classifier.
 */
public final class Layers {

    /**
     * One leaf block of the network.
     *
     * @param index its position in the flattened chain (0 = the input's normalization)
     * @param path its index path in the nested blocks, e.g. {@code 1.5}
     * @param kind the block's class, or a lambda block's name
     * @param outputShape the shape of its output for one sample, e.g. (16, 7, 7)
     */
    public record Layer(int index, String path, String kind, Shape outputShape) {

        /** E.g. {@code 1.5 maxPool2d (16, 7, 7)}. */
        @Override
        public String toString() {
            return path + " " + kind + " " + outputShape;
        }
    }

    private static final Predicate<Block> TRAINING = block -> true;
    private static final Predicate<Block> EVALUATION = block -> false;

    private final BlockClassifier model;
    private final List<Block> blocks = new ArrayList<>();
    private final List<Layer> layers = new ArrayList<>();

    private Layers(BlockClassifier model) {
        this.model = model;
        collect(model.block(), "");
        Shape shape = new Shape(1).addAll(model.inputShape());
        for (int i = 0; i < blocks.size(); i++) {
            shape = blocks.get(i).getOutputShapes(new Shape[] {shape})[0];
            Layer layer = layers.get(i);
            layers.set(i, new Layer(i, layer.path(), layer.kind(), shape.slice(1)));
        }
    }

    /**
     * The layers of a Parry model.
     *
     * @throws IllegalArgumentException for any other classifier (a TorchScript or ONNX file, a
     *     pipeline of stages, an ensemble), whose layers Parry cannot read
     */
    public static Layers of(Classifier model) {
        if (model instanceof BlockClassifier parry) {
            return new Layers(parry);
        }
        throw new IllegalArgumentException("model '" + model.name() + "' is a "
                + model.getClass().getSimpleName() + ", whose intermediate layers Parry cannot"
                + " read; only Parry's own models expose them: use a model directory written by"
                + " 'parry train'");
    }

    private void collect(Block block, String path) {
        if (block instanceof SequentialBlock sequence && !sequence.isReturnIntermediate()) {
            List<Block> children = sequence.getChildren().values();
            for (int i = 0; i < children.size(); i++) {
                collect(children.get(i), path.isEmpty() ? Integer.toString(i) : path + "." + i);
            }
            return;
        }
        blocks.add(block);
        String kind = block instanceof LambdaBlock lambda ? lambda.getName()
                : block.getClass().getSimpleName();
        layers.add(new Layer(blocks.size() - 1, path.isEmpty() ? "0" : path, kind, null));
    }

    /** The model whose layers these are. */
    public BlockClassifier model() {
        return model;
    }

    /** Every layer, input side first. */
    public List<Layer> list() {
        return List.copyOf(layers);
    }

    /**
     * The layer with index path {@code path}.
     *
     * @throws IllegalArgumentException naming the model's layers when it has none of that path
     */
    public Layer layer(String path) {
        for (Layer layer : layers) {
            if (layer.path().equals(path)) {
                return layer;
            }
        }
        throw new IllegalArgumentException("model '" + model.name() + "' has no layer '" + path
                + "'; give the path of one of its layers: " + describe());
    }

    /**
     * The output of the last convolutional stage, the input of the flatten or global pooling that
     * leads to the classifier: the last layer after the input's normalization whose output is a
     * feature map (C, H, W) with more than one position.
     *
     * @throws IllegalArgumentException when the model has no such layer (a perceptron, a linear
     *     model)
     */
    public Layer featureMap() {
        for (int i = layers.size() - 1; i > 0; i--) {
            Shape shape = layers.get(i).outputShape();
            if (shape.dimension() == 3 && shape.get(1) * shape.get(2) > 1) {
                return layers.get(i);
            }
        }
        throw new IllegalArgumentException("model '" + model.name() + "' has no convolutional"
                + " feature map (no layer after the input's normalization outputs (C, H, W));"
                + " choose a layer by its path: " + describe());
    }

    /**
     * The outputs of the network's stages, input side first, all but the last stage's. A stage is
     * a weight layer, a leaf block with parameters of its own (a convolution, a fully connected
     * layer, a residual unit, an ODE block), with the layers after it up to the next weight layer:
     * activations, pooling, flattening, normalization layers (batch, layer or group norm) and the
     * robust blocks that sit inside a stage (Sparta, CIFS, feature denoising) belong to the stage
     * they follow. So small-cnn's stages end at its poolings, an MLP's after each hidden layer's
     * activation, preact-resnet18's after the stem convolution and after each residual unit; a
     * linear model has one stage and no output here. These are the hidden points of Manifold
     * Mixup (Verma et al., ICML 2019).
     */
    public List<Layer> stageOutputs() {
        List<Layer> outputs = new ArrayList<>();
        boolean started = false;
        for (int i = 1; i < blocks.size(); i++) {
            if (weightLayer(blocks.get(i))) {
                if (started) {
                    outputs.add(layers.get(i - 1));
                }
                started = true;
            }
        }
        return outputs;
    }

    private static boolean weightLayer(Block block) {
        return !block.getParameters().isEmpty() && !(block instanceof BatchNorm
                || block instanceof LayerNorm || block instanceof GroupNorm
                || block instanceof Sparta || block instanceof CifsBlock
                || block instanceof FeatureDenoising);
    }

    /**
     * The forward pass in training mode ({@code training=true}) with {@code edit} applied to the
     * output of {@code at} before the layers after it see it; with the identity as {@code edit},
     * the same operations in the same order as the block's own training forward pass. No scope and
     * no gradient bookkeeping of its own: for a training step, inside the trainer's collector.
     *
     * @param x [N, C, H, W] inputs
     */
    public NDArray trainingForward(NDArray x, Layer at, UnaryOperator<NDArray> edit) {
        NDArray hidden = run(0, check(at).index() + 1, x, TRAINING);
        return run(at.index() + 1, blocks.size(), edit.apply(hidden), TRAINING);
    }

    /** The layers as one line, e.g. {@code 0 normalization (1, 28, 28), 1.0 Conv2d (8, 28, 28)}. */
    public String describe() {
        return layers.stream().map(Layer::toString).collect(Collectors.joining(", "));
    }

    /**
     * The head: the output of {@code at} for a batch of inputs, attached to {@code x}'s manager.
     * Without gradient bookkeeping of its own, so it may run inside a caller's collector.
     *
     * @param x [N, C, H, W] inputs in the model's bounds
     */
    public NDArray features(Layer at, NDArray x) {
        InputCheck.requireBatch(model, x);
        return scoped(x, () -> run(0, check(at).index() + 1, x, EVALUATION));
    }

    /**
     * The tail: the logits for the output of {@code from}, attached to {@code features}' manager.
     *
     * @param features [N, ...] outputs of {@code from}, e.g. from {@link #features}
     */
    public NDArray logits(Layer from, NDArray features) {
        requireFeatures(from, features);
        return scoped(features, () -> {
            NDArray logits = run(from.index() + 1, blocks.size(), features, EVALUATION);
            InputCheck.requireFiniteLogits(model, logits);
            return logits;
        });
    }

    /**
     * The tail's logits, a per-sample function of them, and the gradient of its sum with respect
     * to the features (a fresh leaf, one gradient collector, the model's parameters frozen), all
     * attached to {@code features}' manager. Each sample's value depends on its own features only
     * (evaluation mode), so row i of the gradient is that sample's gradient.
     *
     * @param features [N, ...] outputs of {@code from}
     * @param labels [N] labels handed to {@code function}
     * @param function e.g. {@link org.parry.loss.LabelLogit} for ∂z_y/∂features
     */
    public LossGradient tailGradient(Layer from, NDArray features, NDArray labels,
            LogitLoss function) {
        requireFeatures(from, features);
        InputCheck.requireLabels(model, features, labels);
        model.block().freezeParameters(true);
        return DifferentiableClassifier.gradient(model, features, labels, leaf -> {
            NDArray logits = run(from.index() + 1, blocks.size(), leaf, EVALUATION);
            return new DifferentiableClassifier.Scored(logits, function.perSample(logits, labels));
        });
    }

    /**
     * The Dropout layers (DJL's {@link Dropout} leaves), input side first: where {@link
     * #dropoutLogits} draws its masks. A dropout inside a leaf (a residual unit) is not listed.
     */
    public List<Layer> dropouts() {
        List<Layer> dropouts = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            if (blocks.get(i) instanceof Dropout) {
                dropouts.add(layers.get(i));
            }
        }
        return dropouts;
    }

    /**
     * One Monte-Carlo dropout draw of the tail (Gal and Ghahramani, ICML 2016): the logits for the
     * output of {@code from} with the {@link #dropouts()} after it in training mode (a fresh mask
     * from PyTorch's random generator, kept units scaled by 1/(1 − p)) and every other layer in
     * evaluation mode, so that BatchNorm keeps its running statistics and does not update them.
     * Without gradient bookkeeping of its own; attached to {@code features}' manager.
     *
     * @param features [N, ...] outputs of {@code from}, e.g. from {@link #features}
     */
    public NDArray dropoutLogits(Layer from, NDArray features) {
        requireFeatures(from, features);
        return scoped(features, () -> run(from.index() + 1, blocks.size(), features,
                block -> block instanceof Dropout));
    }

    /** Runs blocks [from, to), each in training mode when {@code training} says so. */
    private NDArray run(int from, int to, NDArray input, Predicate<Block> training) {
        NDList current = new NDList(input);
        for (int i = from; i < to; i++) {
            Block block = blocks.get(i);
            current = block.forward(model.parameterStore(), current, training.test(block));
        }
        return current.singletonOrThrow();
    }

    /** Runs {@code work} in a scope of {@code input}'s manager; its result outlives the scope. */
    private static NDArray scoped(NDArray input, java.util.function.Supplier<NDArray> work) {
        NDManager caller = input.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(input);
            NDArray result = work.get();
            result.attach(caller);
            return result;
        }
    }

    private Layer check(Layer layer) {
        if (layer.index() < 0 || layer.index() >= layers.size()
                || !layers.get(layer.index()).equals(layer)) {
            throw new IllegalArgumentException("layer " + layer + " is not a layer of model '"
                    + model.name() + "'; take it from this model's Layers");
        }
        return layer;
    }

    private void requireFeatures(Layer from, NDArray features) {
        Shape expected = check(from).outputShape();
        if (features.getShape().dimension() != expected.dimension() + 1
                || !features.getShape().slice(1).equals(expected)) {
            throw new IllegalArgumentException("the output of layer " + from + " has shape "
                    + expected + " per sample, got a batch of shape " + features.getShape()
                    + "; compute it with features(layer, x)");
        }
    }
}
