package org.parry.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.parry.model.Classifier;
import org.parry.model.InputCheck;

/**
 * A classifier served behind detectors, the way a web service would call it: each input is
 * scored by every detector on the raw input and rejected when one of them flags it (MagNet's rule:
 * reject if any detector exceeds its threshold); otherwise the served classifier labels it. An
 * optional purifier goes in front of the classifier as a {@link org.parry.model.Pipeline} (e.g.
 * MagNet's reformer), so that detectors see what the client sent and the classifier what the
 * purifier made of it.
 *
 * <p>Thread-safe: calls from many threads are served one batch at a time (a PyTorch model is not
 * safe to call concurrently, and libtorch already uses every core for one batch). Owns neither the
 * classifier nor the detectors.
 */
public final class Guard {

    /**
     * The answer for one input.
     *
     * @param label the served classifier's label, or -1 when rejected
     * @param detector the first detector that flagged the input, or null when accepted
     * @param score that detector's score (NaN when accepted)
     * @param threshold that detector's threshold (NaN when accepted)
     */
    public record Verdict(int label, String detector, float score, float threshold) {

        /** Whether a detector rejected the input. */
        public boolean rejected() {
            return detector != null;
        }
    }

    private final Classifier served;
    private final List<CalibratedDetector> detectors;

    /**
     * @param served the classifier that labels accepted inputs, possibly a pipeline with a
     *     purifier in front of the network the detectors were fitted for
     * @param detectors at least one
     */
    public Guard(Classifier served, List<CalibratedDetector> detectors) {
        this.served = Objects.requireNonNull(served, "served");
        this.detectors = List.copyOf(detectors);
        if (this.detectors.isEmpty()) {
            throw new IllegalArgumentException("a guard needs at least one detector");
        }
    }

    /**
     * Labels or rejects each image.
     *
     * @param images [N, C, H, W] in the classifier's bounds
     */
    public synchronized List<Verdict> predict(NDArray images) {
        InputCheck.requireBatch(served, images);
        try (NDManager scope = images.getManager().newSubManager()) {
            scope.tempAttachAll(images);
            int n = Math.toIntExact(images.getShape().get(0));
            float[][] scores = new float[detectors.size()][];
            for (int d = 0; d < detectors.size(); d++) {
                scores[d] = detectors.get(d).detector().scores(images).toFloatArray();
            }
            int[] labels = served.logits(images).argMax(1).toType(DataType.INT32, false)
                    .toIntArray();
            List<Verdict> verdicts = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Verdict verdict = new Verdict(labels[i], null, Float.NaN, Float.NaN);
                for (int d = 0; d < detectors.size(); d++) {
                    float threshold = detectors.get(d).threshold();
                    if (scores[d][i] > threshold) {
                        verdict = new Verdict(-1, detectors.get(d).detector().name(),
                                scores[d][i], threshold);
                        break;
                    }
                }
                verdicts.add(verdict);
            }
            return verdicts;
        }
    }

    /**
     * Labels or rejects images given as pixels, for callers without an NDManager.
     *
     * @param pixels N×C×H×W floats, CHW order within each image
     */
    public List<Verdict> predict(float[] pixels) {
        Shape shape = served.inputShape();
        long size = shape.size();
        if (pixels.length == 0 || pixels.length % size != 0) {
            throw new IllegalArgumentException("the guard takes images of " + shape + " (" + size
                    + " values each); got " + pixels.length + " values");
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            return predict(manager.create(pixels, new Shape(pixels.length / size).addAll(shape)));
        }
    }
}
