package org.parry.model.zoo;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * What a zoo network reports beside its logits during one forward pass, and what it may read
 * besides its input: the labels of a training batch (CIFS builds its training mask from the true
 * class), the logits of auxiliary heads (CIFS probes, which the joint loss adds, see {@link
 * JointLoss}), and penalties to add to the training loss (TisODE's steady-state term).
 *
 * <p>DJL's {@code SequentialBlock} passes nothing but arrays from layer to layer, so the record of
 * a pass is bound to the calling thread for its duration: the caller opens it around the forward
 * pass in a try-with-resources statement, and a block that has something to report finds it with
 * {@link #current()}. Outside such a scope a block reports nothing and sees no labels. Scopes
 * nest: closing one restores the enclosing one.
 */
public final class SideOutputs implements AutoCloseable {

    private static final ThreadLocal<SideOutputs> CURRENT = new ThreadLocal<>();

    private final NDArray labels;
    private final SideOutputs enclosing;
    private final List<Probe> probes = new ArrayList<>();
    private final List<NDArray> penalties = new ArrayList<>();

    private SideOutputs(NDArray labels, SideOutputs enclosing) {
        this.labels = labels;
        this.enclosing = enclosing;
    }

    /**
     * Starts recording the forward passes this thread runs until {@link #close()}.
     *
     * @param labels the batch's labels [N], or null when the pass has none (evaluation, attacks)
     */
    public static SideOutputs open(NDArray labels) {
        SideOutputs outputs = new SideOutputs(labels, CURRENT.get());
        CURRENT.set(outputs);
        return outputs;
    }

    /** The record of the pass this thread is running, if its caller opened one. */
    public static Optional<SideOutputs> current() {
        return Optional.ofNullable(CURRENT.get());
    }

    /** The batch's labels [N], if the caller gave them. */
    public Optional<NDArray> labels() {
        return Optional.ofNullable(labels);
    }

    /**
     * Reports the logits of an auxiliary head.
     *
     * @param logits [N, K] logits of the head, in the graph of the pass
     * @param weight the head's weight β in the joint loss (see {@link JointLoss})
     */
    public void addProbe(NDArray logits, float weight) {
        probes.add(new Probe(logits, weight));
    }

    /** Reports a scalar to add to the training loss, already weighted. */
    public void addPenalty(NDArray penalty) {
        if (penalty.getShape().size() != 1) {
            throw new IllegalArgumentException("a penalty must be a scalar, got " + penalty.getShape());
        }
        penalties.add(penalty);
    }

    /** The auxiliary heads reported, in the order of the network. */
    public List<Probe> probes() {
        return Collections.unmodifiableList(probes);
    }

    /** The penalties reported. */
    public List<NDArray> penalties() {
        return Collections.unmodifiableList(penalties);
    }

    @Override
    public void close() {
        if (CURRENT.get() != this) {
            throw new IllegalStateException("side outputs closed out of order");
        }
        if (enclosing == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(enclosing);
        }
    }

    /**
     * An auxiliary head's logits and its weight in the joint loss.
     *
     * @param logits [N, K]
     * @param weight β
     */
    public record Probe(NDArray logits, float weight) {}
}
