package org.parry.train;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.zoo.JointLoss;
import org.parry.model.zoo.SideOutputs;

/**
 * What a network's training forward passes reported beside their logits during one step (see
 * {@link SideOutputs}), turned into the step's loss: CIFS probes join the objective's loss through
 * {@link JointLoss} with cross-entropy on the batch's labels, and penalties (TisODE's
 * steady-state term) are added. An objective that runs several forward passes (TRADES: clean and
 * adversarial) gets the mean of each term over them.
 */
final class AuxiliaryLosses {

    private final NDArray labels;
    private final List<NDArray> probeTerms = new ArrayList<>();
    private final List<NDArray> penalties = new ArrayList<>();
    private float beta = Float.NaN;

    /** @param labels the step's labels [N], given to passes over N images */
    AuxiliaryLosses(NDArray labels) {
        this.labels = labels;
    }

    /** Opens the record of one forward pass over {@code x}. */
    SideOutputs open(NDArray x) {
        boolean labelled = x.getShape().get(0) == labels.getShape().get(0);
        return SideOutputs.open(labelled ? labels : null);
    }

    /** Collects what a closed pass reported. */
    void collect(SideOutputs side) {
        if (!side.probes().isEmpty()) {
            NDArray passLabels = side.labels().orElseThrow(() -> new IllegalStateException(
                    "a network with CIFS probes ran on a batch without labels"));
            beta = JointLoss.beta(side.probes());
            NDArray sum = null;
            for (SideOutputs.Probe probe : side.probes()) {
                NDArray term = CrossEntropyLoss.get().perSample(probe.logits(), passLabels).mean();
                sum = sum == null ? term : sum.add(term);
            }
            probeTerms.add(sum.div(side.probes().size()));
        }
        if (!side.penalties().isEmpty()) {
            NDArray sum = side.penalties().get(0);
            for (NDArray penalty : side.penalties().subList(1, side.penalties().size())) {
                sum = sum.add(penalty);
            }
            penalties.add(sum);
        }
    }

    /** The step's loss: the objective's, joined with the probes' and plus the penalties. */
    NDArray total(NDArray objectiveLoss) {
        NDArray total = objectiveLoss;
        if (!probeTerms.isEmpty()) {
            total = JointLoss.combine(total, List.of(mean(probeTerms)), beta);
        }
        if (!penalties.isEmpty()) {
            total = total.add(mean(penalties));
        }
        return total;
    }

    private static NDArray mean(List<NDArray> terms) {
        NDArray sum = terms.get(0);
        for (NDArray term : terms.subList(1, terms.size())) {
            sum = sum.add(term);
        }
        return sum.div(terms.size());
    }
}
