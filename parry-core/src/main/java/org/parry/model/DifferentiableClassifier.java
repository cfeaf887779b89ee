package org.parry.model;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.function.Function;
import org.parry.engine.Backward;
import org.parry.engine.ForwardCheck;
import org.parry.loss.LogitLoss;

/**
 * The shared logic of classifiers that PyTorch can differentiate: scoped forward passes, and the
 * input gradient taken on a fresh leaf (gradients accumulate on a reused one) inside its own
 * gradient collector. Subclasses only say how to run the network; a {@link Pipeline} runs it
 * behind its stages through {@link #forward}.
 */
public abstract class DifferentiableClassifier implements Classifier {

    private final String name;
    private final Shape inputShape;
    private final int numClasses;
    private volatile boolean kernelsChecked;

    protected DifferentiableClassifier(String name, Shape inputShape, int numClasses) {
        if (inputShape.dimension() != 3) {
            throw new IllegalArgumentException(
                    "input shape must be (C, H, W), got " + inputShape);
        }
        if (numClasses < 2) {
            throw new IllegalArgumentException("a classifier needs >= 2 classes, got " + numClasses);
        }
        this.name = name;
        this.inputShape = inputShape;
        this.numClasses = numClasses;
    }

    /**
     * Runs the network in evaluation mode.
     *
     * @param x the input batch, already validated
     * @param forGradient whether a backward pass will follow
     * @return [N, K] logits, in {@code x}'s manager
     */
    protected abstract NDArray forward(NDArray x, boolean forGradient);

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final Shape inputShape() {
        return inputShape;
    }

    @Override
    public final int numClasses() {
        return numClasses;
    }

    @Override
    public boolean hasGradients() {
        return true;
    }

    /**
     * Checks this model's forward pass once against libtorch's own kernels ({@link
     * ForwardCheck}), on the first rows of {@code probe}; later calls return at once. Runs before
     * the first logits and gradients, and before training.
     */
    public final void checkKernels(NDArray probe) {
        if (kernelsChecked) {
            return;
        }
        kernelsChecked = true;
        try (NDManager scope = probe.getManager().newSubManager()) {
            NDArray few = probe.get(new NDIndex("0:" + Math.min(8, probe.getShape().get(0))));
            few.attach(scope);
            ForwardCheck.verify(name, x -> forward(x, false), few);
        }
    }

    @Override
    public final NDArray logits(NDArray x) {
        InputCheck.requireBatch(this, x);
        checkKernels(x);
        NDManager caller = x.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(x);
            NDArray logits = forward(x, false);
            if (!InputCheck.finite(logits)) { // one reduction on the usual, finite path
                logits = ForwardCheck.retryWithoutOneDnn(name, input -> forward(input, false), x)
                        .orElse(logits);
                InputCheck.requireFiniteLogits(this, logits);
            }
            logits.attach(caller);
            return logits;
        }
    }

    @Override
    public final LossGradient lossGradient(NDArray x, NDArray labels, LogitLoss loss) {
        InputCheck.requireBatch(this, x);
        InputCheck.requireLabels(this, x, labels);
        checkKernels(x);
        return gradient(this, x, labels, leaf -> score(leaf, labels, loss));
    }

    /**
     * The logits as a function autograd can differentiate, for a caller that takes a gradient of
     * its own through the classifier inside its own gradient collector (a detector's score, a
     * detector-aware attack); opens no collector, and leaves the result in the graph, attached to
     * {@code x}'s manager.
     */
    public final NDArray logitsForGradient(NDArray x) {
        InputCheck.requireBatch(this, x);
        checkKernels(x.stopGradient());
        NDArray logits = forward(x, true);
        InputCheck.requireFiniteLogits(this, logits.stopGradient());
        return logits;
    }

    /**
     * Runs the network for a gradient and scores the pass: the logits and the per-sample loss the
     * gradient differentiates. That loss is the attack's loss of the logits; a model with
     * auxiliary heads overrides this to add theirs (CIFS's joint loss, see {@link BlockClassifier}).
     *
     * @param x the leaf, recorded for the backward pass
     */
    protected Scored score(NDArray x, NDArray labels, LogitLoss loss) {
        NDArray logits = forward(x, true);
        if (!InputCheck.finite(logits.stopGradient())) { // the graph of the retry is the one used
            logits = ForwardCheck.retryWithoutOneDnn(name, input -> forward(input, true), x)
                    .orElse(logits);
            InputCheck.requireFiniteLogits(this, logits.stopGradient());
        }
        return new Scored(logits, loss.perSample(logits, labels));
    }

    /**
     * A scored forward pass.
     *
     * @param logits [N, K] logits, in the graph
     * @param loss [N] per-sample loss, in the graph
     */
    protected record Scored(NDArray logits, NDArray loss) {}

    /**
     * The pass every differentiable model shares: logits, per-sample loss and the gradient of the
     * summed loss with respect to {@code x}, taken on a fresh leaf (gradients accumulate on a
     * reused one) inside its own gradient collector, the results attached to {@code x}'s manager.
     *
     * @param model the model, for messages
     * @param scoring the scored forward pass of the leaf, recorded for the backward pass
     */
    static LossGradient gradient(Classifier model, NDArray x, NDArray labels,
            Function<NDArray, Scored> scoring) {
        NDManager caller = x.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(x, labels);
            NDArray leaf = x.duplicate();
            leaf.setRequiresGradient(true);
            Scored scored;
            try (GradientCollector collector = Backward.collector()) {
                scored = scoring.apply(leaf);
                backward(model, collector, scored.loss().sum());
            }
            LossGradient result = new LossGradient(scored.logits().stopGradient(),
                    scored.loss().stopGradient(), leaf.getGradient().duplicate());
            result.logits().attach(caller);
            result.loss().attach(caller);
            result.gradient().attach(caller);
            return result;
        }
    }

    /**
     * Backpropagates, turning PyTorch's complaint about an output without a gradient into what it
     * means for the user: the model's output does not depend on its input differentiably.
     */
    private static void backward(Classifier model, GradientCollector collector, NDArray loss) {
        try {
            Backward.run(collector, loss);
        } catch (EngineException e) {
            String message = String.valueOf(e.getMessage());
            if (!message.contains("does not require grad")) {
                throw e;
            }
            throw new IllegalStateException("model '" + model.name() + "' gives no input gradient:"
                    + " its output does not depend on its input through a differentiable path (it"
                    + " is computed under torch.no_grad(), detached, or from integer operations);"
                    + " use a black-box attack such as square, or export the model without"
                    + " no_grad()/detach()", e);
        }
    }
}
