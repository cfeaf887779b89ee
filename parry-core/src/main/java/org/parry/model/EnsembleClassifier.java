package org.parry.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.parry.Identified;
import org.parry.engine.Backward;
import org.parry.loss.LogitLoss;

/**
 * Several classifiers of one task as one: the source of an ensemble transfer attack (Tramèr,
 * Kurakin, Papernot, Goodfellow, Boneh and McDaniel, "Ensemble adversarial training: attacks and
 * defenses", ICLR 2018; Liu, Chen, Liu and Song, "Delving into transferable adversarial examples
 * and black-box attacks", ICLR 2017). Its logits are the mean of the members' logits,
 * z̄(x) = (1/M) Σ_m z_m(x). Its loss gradient, the {@link Combination}, is either
 * <ul>
 *   <li>{@link Combination#LOGITS}: ∇_x L(z̄(x), y), the loss of the averaged logits (Liu et al.'s
 *       ensemble; the default), or
 *   <li>{@link Combination#LOSSES}: ∇_x (1/M) Σ_m L(z_m(x), y), the average of the members'
 *       losses; its logits are still z̄ and its loss the mean loss.
 * </ul>
 * The loss of the averaged logits is taken without one joint graph, so that any differentiable
 * member (a Parry model, a TorchScript file, a defended {@link Pipeline}) can take part: by the
 * chain rule ∇_x L(z̄) = (1/M) Σ_m J_m(x)^T v with v = ∂L/∂z̄, and J_m^T v is the gradient of the
 * member's linear loss ⟨z_m(x), v⟩ with v held constant. That costs each member one forward pass
 * (for z̄) and one forward and backward pass. (For a member with random stages the two passes draw
 * different randomness; for deterministic members the result is the exact gradient.)
 *
 * <p>Members must agree on input shape, classes and bounds. The ensemble has gradients when every
 * member has. It closes its members only when built with {@code owning = true}. Not thread-safe.
 */
public final class EnsembleClassifier implements Classifier {

    /** What the ensemble's loss gradient averages. */
    public enum Combination implements Identified {
        /** The loss of the mean logits. */
        LOGITS("logits"),
        /** The mean of the members' losses. */
        LOSSES("losses");

        private final String id;

        Combination(String id) {
            this.id = id;
        }

        @Override
        public String id() {
            return id;
        }
    }

    private final List<Classifier> members;
    private final Combination combination;
    private final boolean owning;

    private EnsembleClassifier(List<Classifier> members, Combination combination, boolean owning) {
        this.members = members;
        this.combination = combination;
        this.owning = owning;
    }

    /**
     * An ensemble of {@code members}, which stay the caller's to close.
     *
     * @throws IllegalArgumentException for no members, or members that differ in input shape,
     *     number of classes or bounds (naming both members)
     */
    public static EnsembleClassifier of(List<? extends Classifier> members, Combination combination) {
        return create(members, combination, false);
    }

    /** As {@link #of}, but closing the ensemble closes the members. */
    public static EnsembleClassifier owning(List<? extends Classifier> members,
            Combination combination) {
        return create(members, combination, true);
    }

    private static EnsembleClassifier create(List<? extends Classifier> members,
            Combination combination, boolean owning) {
        Objects.requireNonNull(combination, "combination");
        List<Classifier> copy = List.copyOf(Objects.requireNonNull(members, "members"));
        if (copy.isEmpty()) {
            throw new IllegalArgumentException("an ensemble needs at least one member");
        }
        Classifier first = copy.get(0);
        for (Classifier member : copy.subList(1, copy.size())) {
            requireSameTask(first, member, "ensemble member");
        }
        return new EnsembleClassifier(copy, combination, owning);
    }

    /**
     * Checks that {@code other} takes the inputs and gives the classes of {@code reference}, in
     * the same box.
     *
     * @param role what {@code other} is, for the message, e.g. "source model"
     * @throws IllegalArgumentException naming both models and what differs
     */
    public static void requireSameTask(Classifier reference, Classifier other, String role) {
        if (!other.inputShape().equals(reference.inputShape())
                || other.numClasses() != reference.numClasses()) {
            throw new IllegalArgumentException(role + " '" + other.name() + "' takes inputs of shape "
                    + other.inputShape() + " with " + other.numClasses() + " classes, but '"
                    + reference.name() + "' takes " + reference.inputShape() + " with "
                    + reference.numClasses() + " classes; use models trained for the same task");
        }
        if (!other.bounds().equals(reference.bounds())) {
            throw new IllegalArgumentException(role + " '" + other.name() + "' takes inputs in ["
                    + other.bounds().lower() + ", " + other.bounds().upper() + "] but '"
                    + reference.name() + "' in [" + reference.bounds().lower() + ", "
                    + reference.bounds().upper() + "]; use models with the same input box");
        }
    }

    /** The members, in order. */
    public List<Classifier> members() {
        return members;
    }

    /** What the loss gradient averages. */
    public Combination combination() {
        return combination;
    }

    @Override
    public String name() {
        return "ensemble(" + members.stream().map(Classifier::name)
                .collect(Collectors.joining(", ")) + ")";
    }

    @Override
    public Shape inputShape() {
        return members.get(0).inputShape();
    }

    @Override
    public int numClasses() {
        return members.get(0).numClasses();
    }

    @Override
    public Bounds bounds() {
        return members.get(0).bounds();
    }

    @Override
    public NDArray logits(NDArray x) {
        InputCheck.requireBatch(this, x);
        NDManager caller = x.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(x);
            NDArray sum = null;
            for (Classifier member : members) {
                NDArray logits = member.logits(x);
                sum = sum == null ? logits : sum.add(logits);
            }
            NDArray mean = sum.div(members.size());
            mean.attach(caller);
            return mean;
        }
    }

    @Override
    public boolean hasGradients() {
        return members.stream().allMatch(Classifier::hasGradients);
    }

    @Override
    public LossGradient lossGradient(NDArray x, NDArray labels, LogitLoss loss) {
        members.forEach(member -> NoGradientClassifier.requireGradients(member,
                "the ensemble's gradient"));
        InputCheck.requireBatch(this, x);
        InputCheck.requireLabels(this, x, labels);
        NDManager caller = x.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(x, labels);
            LossGradient result = combination == Combination.LOSSES
                    ? meanOfLosses(x, labels, loss) : lossOfMean(x, labels, loss);
            result.logits().attach(caller);
            result.loss().attach(caller);
            result.gradient().attach(caller);
            return result;
        }
    }

    /** Each member's logits, loss and gradient, averaged. */
    private LossGradient meanOfLosses(NDArray x, NDArray labels, LogitLoss loss) {
        NDArray logits = null;
        NDArray losses = null;
        NDArray gradient = null;
        for (Classifier member : members) {
            LossGradient one = member.lossGradient(x, labels, loss);
            logits = logits == null ? one.logits() : logits.add(one.logits());
            losses = losses == null ? one.loss() : losses.add(one.loss());
            gradient = gradient == null ? one.gradient() : gradient.add(one.gradient());
        }
        int m = members.size();
        return new LossGradient(logits.div(m), losses.div(m), gradient.div(m));
    }

    /** ∇_x L(z̄) = (1/M) Σ_m J_m^T v, v = ∂L/∂z̄ at the mean logits (see the class comment). */
    private LossGradient lossOfMean(NDArray x, NDArray labels, LogitLoss loss) {
        NDArray mean = logits(x);
        NDArray leaf = mean.duplicate();
        leaf.setRequiresGradient(true);
        NDArray perSample;
        try (GradientCollector collector = Backward.collector()) {
            perSample = loss.perSample(leaf, labels);
            Backward.run(collector, perSample.sum());
        }
        NDArray v = leaf.getGradient().duplicate();
        LogitLoss linear = (logits, ignored) -> logits.mul(v).sum(new int[] {1});
        NDArray gradient = null;
        for (Classifier member : members) {
            NDArray one = member.lossGradient(x, labels, linear).gradient();
            gradient = gradient == null ? one : gradient.add(one);
        }
        return new LossGradient(mean, perSample.stopGradient(), gradient.div(members.size()));
    }

    /** Closes the members if the ensemble owns them. */
    @Override
    public void close() {
        if (owning) {
            members.forEach(Classifier::close);
        }
    }

    @Override
    public String toString() {
        return "EnsembleClassifier[" + combination.id() + ", " + name() + "]";
    }
}
