package org.parry.defense;

import ai.djl.ndarray.NDArray;
import org.parry.Identified;
import org.parry.data.Batch;
import org.parry.model.Classifier;

/**
 * Which labels a training-time attack ascends the loss of. The true label can leak into a
 * single-step perturbation, so that the model becomes more accurate on such examples than on
 * clean ones (Kurakin, Goodfellow and Bengio, "Adversarial machine learning at scale", ICLR 2017);
 * Tramèr et al.'s ensemble adversarial training uses the model's own prediction instead.
 */
public enum TrainingLabels implements Identified {
    TRUE("true"),
    PREDICTED("predicted");

    private final String id;

    TrainingLabels(String id) {
        this.id = id;
    }

    @Override
    public String id() {
        return id;
    }

    /**
     * @throws IllegalArgumentException for anything but {@code true} or {@code predicted}
     */
    public static TrainingLabels parse(String text) {
        return Identified.parse(values(), text, "label choice");
    }

    /** The labels to attack {@code batch} with, as predicted by {@code source} if asked. */
    public NDArray of(Classifier source, Batch batch) {
        if (this == TRUE) {
            return batch.y();
        }
        return source.logits(batch.x()).argMax(1).toType(batch.y().getDataType(), false);
    }
}
