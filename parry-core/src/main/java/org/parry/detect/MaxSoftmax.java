package org.parry.detect;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.parry.model.Classifier;
import org.parry.model.DifferentiableClassifier;

/**
 * The baseline detector of Hendrycks and Gimpel ("A baseline for detecting misclassified and
 * out-of-distribution examples in neural networks", ICLR 2017): an input the classifier is unsure
 * of is suspect,
 * <pre>
 *   score(x) = −max_c softmax(f(x))_c
 * </pre>
 * Nothing to fit and nothing to save; every other detector should beat it. Differentiable wherever
 * the classifier is; adversarial examples crafted with high confidence (C&amp;W's κ) pass it by
 * construction.
 */
public final class MaxSoftmax implements Detector {

    private final Classifier model;

    /** The baseline for {@code model}, which the caller owns. */
    public MaxSoftmax(Classifier model) {
        this.model = model;
    }

    @Override
    public String name() {
        return "max-softmax";
    }

    @Override
    public Map<String, Object> settings() {
        return Map.of();
    }

    @Override
    public NDArray scores(NDArray x) {
        return score(model.logits(x));
    }

    @Override
    public NDArray scoresForGradient(NDArray x) {
        if (!(model instanceof DifferentiableClassifier differentiable)) {
            throw new IllegalStateException("max-softmax: model '" + model.name() + "' gives no"
                    + " gradients, so no detector-aware attack can differentiate this score");
        }
        return score(differentiable.logitsForGradient(x));
    }

    private static NDArray score(NDArray logits) {
        return logits.softmax(1).max(new int[] {1}).neg();
    }

    @Override
    public void save(Path directory) throws IOException {
        DetectorArrays.save(directory, Map.of());
    }
}
