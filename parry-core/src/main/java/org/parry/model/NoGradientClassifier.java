package org.parry.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.parry.loss.LogitLoss;

/**
 * A black-box classifier: logits only, no gradients. Wraps another classifier (to attack a
 * differentiable model as if it were a remote API, which is how score-based and decision-based
 * attacks are evaluated honestly) or a plain logits function (a model served outside PyTorch, an
 * HTTP scorer, a non-differentiable preprocessing chain; ONNX files have their own {@link
 * OnnxClassifier}).
 *
 * <p>{@link #hasGradients()} is false and {@link #lossGradient} throws an {@link
 * IllegalStateException} that says what to do instead. White-box attacks call {@link
 * #requireGradients} up front, so that a black-box model fails with that message before any work is
 * done rather than deep inside the first attack step.
 *
 * <p>Why a separate type rather than a flag: a TorchScript model run without the care taken in
 * {@link TorchScriptClassifier} silently yields no gradient at all in DJL (inference mode, "element
 * 0 of tensors does not require grad"); a model wrapped here states that it has none, and attacks
 * can choose accordingly.
 */
public final class NoGradientClassifier implements Classifier {

    private final String name;
    private final Shape inputShape;
    private final int numClasses;
    private final Bounds bounds;
    private final UnaryOperator<NDArray> logits;
    private final Classifier owned;

    private NoGradientClassifier(String name, Shape inputShape, int numClasses, Bounds bounds,
            UnaryOperator<NDArray> logits, Classifier owned) {
        if (inputShape.dimension() != 3) {
            throw new IllegalArgumentException(
                    "input shape must be (C, H, W), got " + inputShape);
        }
        if (numClasses < 2) {
            throw new IllegalArgumentException(
                    "a classifier needs >= 2 classes, got " + numClasses);
        }
        this.name = Objects.requireNonNull(name, "name");
        this.inputShape = inputShape;
        this.numClasses = numClasses;
        this.bounds = Objects.requireNonNull(bounds, "bounds");
        this.logits = logits;
        this.owned = owned;
    }

    /**
     * Hides the gradients of {@code model}. The wrapper takes ownership: closing it closes
     * {@code model}.
     */
    public static NoGradientClassifier wrap(Classifier model) {
        Objects.requireNonNull(model, "model");
        return new NoGradientClassifier(model.name(), model.inputShape(), model.numClasses(),
                model.bounds(), model::logits, model);
    }

    /**
     * A black-box classifier from a logits function, with inputs in [0, 1].
     *
     * @param logits maps an [N, C, H, W] float batch to [N, K] logits attached to the input's
     *     manager; it is called with inputs already checked against {@code inputShape}
     */
    public static NoGradientClassifier of(String name, Shape inputShape, int numClasses,
            UnaryOperator<NDArray> logits) {
        return new NoGradientClassifier(name, inputShape, numClasses, Bounds.UNIT,
                Objects.requireNonNull(logits, "logits"), null);
    }

    /**
     * Fails fast if a white-box method is applied to a model without gradients.
     *
     * @param what the method that needs gradients, e.g. "PGD", for the message
     * @throws IllegalStateException if {@code model.hasGradients()} is false
     */
    public static void requireGradients(Classifier model, String what) {
        Objects.requireNonNull(model, "model");
        if (!model.hasGradients()) {
            throw new IllegalStateException(what + " needs input gradients, but "
                    + noGradientsMessage(model.name()));
        }
    }

    /**
     * Why a model without gradients cannot be attacked white-box, and the three ways to attack it
     * instead; shared by every query-only classifier ({@link OnnxClassifier}, {@link Pipeline}
     * over one) so that the advice is the same wherever it is met.
     */
    static String noGradientsMessage(String name) {
        return "model '" + name + "' has no gradients (black-box): white-box attacks such as"
                + " PGD cannot run on a query-only model; use a query attack (square, one-pixel), a"
                + " transfer attack from a substitute or source model (parry attack --source"
                + " MODEL), or train a substitute; with the model's PyTorch code, export it as"
                + " TorchScript for white-box attacks";
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Shape inputShape() {
        return inputShape;
    }

    @Override
    public int numClasses() {
        return numClasses;
    }

    @Override
    public Bounds bounds() {
        return bounds;
    }

    @Override
    public NDArray logits(NDArray x) {
        InputCheck.requireBatch(this, x);
        NDArray result = logits.apply(x);
        Shape expected = new Shape(x.getShape().get(0), numClasses);
        if (result == null || !result.getShape().equals(expected)) {
            throw new IllegalStateException("black-box model '" + name + "' returned logits of"
                    + " shape " + (result == null ? "null" : result.getShape())
                    + ", expected " + expected);
        }
        InputCheck.requireFiniteLogits(this, result);
        return result;
    }

    /** Always false: this is what the wrapper is for. */
    @Override
    public boolean hasGradients() {
        return false;
    }

    /**
     * Always throws.
     *
     * @throws IllegalStateException saying that the model is black-box and what to use instead
     */
    @Override
    public LossGradient lossGradient(NDArray x, NDArray labels, LogitLoss loss) {
        throw new IllegalStateException(noGradientsMessage(name));
    }

    /** Closes the wrapped classifier, if this wrapper owns one. */
    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }

    @Override
    public String toString() {
        return "NoGradientClassifier[" + name + "]";
    }
}
