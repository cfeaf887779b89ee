package org.parry.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parry.model.BlockClassifier;
import org.parry.model.Classifier;
import org.parry.model.Layers;
import org.parry.model.TorchScriptClassifier;

/**
 * The intermediate activations detectors read (KD's last hidden layer, LID's and Mahalanobis'
 * layers), by layer name, from the two kinds of classifier that expose them:
 * <ul>
 *   <li>a Parry model ({@link Layers}): a layer is named by its index path, e.g. {@code 1.7}; the
 *       hidden layers are the network's {@linkplain Layers#stageOutputs() stage outputs};
 *   <li>a TorchScript model with a method {@value #METHOD} (exported with {@code
 *       @torch.jit.export}) that returns a tuple of activations [N, ...]: its outputs are named
 *       {@code features.0}, {@code features.1}, ..., all of them hidden layers, input side first.
 * </ul>
 * Either way {@value #LOGITS} names the logits. Features are computed without gradient bookkeeping
 * of their own, so inside a caller's gradient collector they are differentiable with respect to
 * the input (a Parry model's parameters are frozen first, so that no parameter gradient builds
 * up). Not thread-safe, like the classifier.
 */
public final class FeatureSource {

    /** The TorchScript method that returns a model's activations. */
    public static final String METHOD = "features";
    /** The name of the logits layer. */
    public static final String LOGITS = "logits";
    /** In a list of layers, every hidden layer. */
    public static final String HIDDEN = "hidden";

    private final Classifier model;
    private final Layers layers;
    private final TorchScriptClassifier script;
    private final Map<String, Shape> hidden = new LinkedHashMap<>();

    private FeatureSource(Classifier model, Layers layers, TorchScriptClassifier script) {
        this.model = model;
        this.layers = layers;
        this.script = script;
        if (layers != null) {
            for (Layers.Layer layer : layers.stageOutputs()) {
                hidden.put(layer.path(), layer.outputShape());
            }
        } else {
            try (NDManager manager = NDManager.newBaseManager()) {
                NDArray probe = manager.zeros(new Shape(2).addAll(model.inputShape()));
                NDList outputs = script.runMethod(METHOD, probe);
                for (int i = 0; i < outputs.size(); i++) {
                    Shape shape = outputs.get(i).getShape();
                    if (shape.dimension() < 2 || shape.get(0) != 2) {
                        throw new IllegalArgumentException("TorchScript model '" + model.name()
                                + "': output " + i + " of its method " + METHOD + " has shape "
                                + shape + " for 2 inputs; it must return activations [N, ...]");
                    }
                    hidden.put(METHOD + "." + i, shape.slice(1));
                }
            }
        }
        if (hidden.isEmpty()) {
            throw new IllegalArgumentException("model '" + model.name() + "' has no hidden layer"
                    + " (a linear model): detectors that read activations need one");
        }
    }

    /**
     * The features of {@code model}.
     *
     * @throws IllegalArgumentException in one line naming what is needed, for a model whose
     *     layers cannot be read
     */
    public static FeatureSource of(Classifier model) {
        if (model instanceof BlockClassifier parry) {
            return new FeatureSource(model, Layers.of(parry), null);
        }
        if (model instanceof TorchScriptClassifier script && script.methods().contains(METHOD)) {
            return new FeatureSource(model, null, script);
        }
        throw new IllegalArgumentException("model '" + model.name() + "' (a "
                + model.getClass().getSimpleName() + ") does not expose its layers: this detector"
                + " needs a Parry model, or a TorchScript model with a method 'features' (exported"
                + " with @torch.jit.export) that returns a tuple of its activations");
    }

    /** The classifier. */
    public Classifier model() {
        return model;
    }

    /** The hidden layers' names, input side first. */
    public List<String> hidden() {
        return List.copyOf(hidden.keySet());
    }

    /** The last hidden layer, the input of the classifier's last weight layer (KD's φ). */
    public String lastHidden() {
        List<String> names = hidden();
        return names.get(names.size() - 1);
    }

    /** The shape of one sample's features at {@code layer}. */
    public Shape shape(String layer) {
        if (layer.equals(LOGITS)) {
            return new Shape(model.numClasses());
        }
        requireLayer(layer);
        return hidden.get(layer);
    }

    /**
     * The layers a setting names: a comma-separated list of layer names, where {@value #HIDDEN}
     * stands for every hidden layer and {@value #LOGITS} for the logits.
     *
     * @throws IllegalArgumentException naming the model's layers for an unknown name
     */
    public List<String> resolve(String setting) {
        List<String> names = new ArrayList<>();
        for (String token : setting.split(",")) {
            String name = token.trim();
            if (name.equals(HIDDEN)) {
                names.addAll(hidden());
            } else {
                if (!name.equals(LOGITS)) {
                    requireLayer(name);
                }
                names.add(name);
            }
        }
        if (names.isEmpty() || names.size() != names.stream().distinct().count()) {
            throw new IllegalArgumentException("layers=" + setting + " must name distinct layers,"
                    + " at least one; " + describe());
        }
        return names;
    }

    private void requireLayer(String name) {
        if (!hidden.containsKey(name)) {
            throw new IllegalArgumentException("model '" + model.name() + "' has no layer '"
                    + name + "'; " + describe());
        }
    }

    /** The readable layers as one line, for messages. */
    public String describe() {
        StringBuilder text = new StringBuilder("its layers: ");
        hidden.forEach((name, shape) -> text.append(name).append(' ').append(shape).append(", "));
        return text.append(LOGITS).append(" (").append(model.numClasses()).append(')')
                .append(" (or '").append(HIDDEN).append("' for every hidden layer)").toString();
    }

    /**
     * The features of a batch at each of {@code names}, each [N, ...] and attached to {@code x}'s
     * manager.
     *
     * @param x [N, C, H, W] inputs in the model's bounds
     */
    public List<NDArray> features(List<String> names, NDArray x) {
        List<NDArray> features = new ArrayList<>();
        for (String name : names) {
            if (!name.equals(LOGITS)) {
                requireLayer(name);
            }
        }
        if (layers != null) {
            layers.model().block().freezeParameters(true);
            List<Layers.Layer> all = layers.list();
            for (String name : names) {
                Layers.Layer layer = name.equals(LOGITS) ? all.get(all.size() - 1)
                        : layers.layer(name);
                features.add(layers.features(layer, x));
            }
            return features;
        }
        boolean needsFeatures = names.stream().anyMatch(name -> !name.equals(LOGITS));
        NDList activations = needsFeatures ? script.runMethod(METHOD, x) : null;
        NDList logits = names.contains(LOGITS) ? script.runMethod("forward", x) : null;
        for (String name : names) {
            features.add(name.equals(LOGITS) ? logits.get(0)
                    : activations.get(Integer.parseInt(name.substring(METHOD.length() + 1))));
        }
        return features;
    }

    /** The features of a batch at {@code name}, [N, ...], attached to {@code x}'s manager. */
    public NDArray features(String name, NDArray x) {
        return features(List.of(name), x).get(0);
    }
}
