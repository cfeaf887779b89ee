package org.parry.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Map;
import org.parry.attack.Require;
import org.parry.engine.Backward;
import org.parry.loss.LogitLoss;
import org.parry.model.Bounds;
import org.parry.model.Classifier;
import org.parry.model.LossGradient;

/**
 * A classifier f and a calibrated detector D (threshold θ, clean score scale σ) as one model an
 * attack can break, after Carlini and Wagner ("Adversarial examples are not easily detected:
 * bypassing ten detection methods", AISec 2017).
 * <ul>
 *   <li>Logits: the (K+1)-class model G of the paper, G_i = Z_i for i &lt; K and
 *       <pre>  G_K = max_j Z_j + (D(x) − θ)/σ</pre>
 *       so that G predicts the rejection class K exactly when the detector flags x. With {@link
 *       EvadingMisclassification} as the criterion, an attack's success means misclassified and
 *       not flagged, and its early stop and best tracking (e.g. PGD's) follow that.
 *   <li>Loss: the attack's loss L on f's own K logits, minus the hinge of the paper's second
 *       formulation, which the attack ascends:
 *       <pre>  J(x) = L(Z(x), y) − λ·max(0, (D(x) − θ)/σ + κ)</pre>
 *       with κ a margin below θ in units of σ. Its gradient is the sum of f's loss gradient and
 *       the detector's (through {@link Detector#scoresForGradient}: exact, or BPDA), each from
 *       its own pass; for a randomized detector (MC dropout) the detector's gradient is the mean
 *       over {@code eot} draws (EOT, Athalye et al. 2018).
 * </ul>
 * Every attack that ascends its loss through {@link #lossGradient} works on it unchanged (PGD,
 * FGSM, BIM, MI-FGSM, APGD-CE). Not thread-safe; owns neither f nor the detector.
 */
public final class DetectorAwareClassifier implements Classifier {

    /** λ when none is given: the hinge and the cross-entropy in comparable units. */
    public static final float DEFAULT_LAMBDA = 1f;

    /** κ when none is given: half a clean standard deviation below the threshold. */
    public static final float DEFAULT_MARGIN = 0.5f;

    private final Classifier model;
    private final CalibratedDetector detector;
    private final float lambda;
    private final float margin;
    private final int eot;

    /**
     * @param lambda λ > 0, the weight of the detector's hinge
     * @param margin κ ≥ 0, in clean standard deviations of the score
     * @param eot draws of the detector's gradient per step, at least 1
     */
    public DetectorAwareClassifier(Classifier model, CalibratedDetector detector, float lambda,
            float margin, int eot) {
        if (!model.hasGradients()) {
            throw new IllegalArgumentException("a detector-aware attack needs gradients of model '"
                    + model.name() + "'; it is query-only");
        }
        Require.positive("lambda", lambda);
        if (!(margin >= 0f && Float.isFinite(margin))) {
            throw new IllegalArgumentException("margin must be >= 0, got " + margin);
        }
        if (eot < 1) {
            throw new IllegalArgumentException("eot must be >= 1, got " + eot);
        }
        this.model = model;
        this.detector = detector;
        this.lambda = lambda;
        this.margin = margin;
        this.eot = eot;
    }

    /** The classifier the detector guards. */
    public Classifier guarded() {
        return model;
    }

    /** The class that stands for "flagged": the guarded classifier's K. */
    public int rejectClass() {
        return model.numClasses();
    }

    /** The settings, as the report shows them. */
    public Map<String, Object> settings() {
        return Map.of("lambda", lambda, "margin", margin, "eot", eot,
                "gradients", detector.detector().differentiable() ? "exact" : "bpda");
    }

    @Override
    public String name() {
        return model.name() + "+" + detector.detector().name();
    }

    @Override
    public Shape inputShape() {
        return model.inputShape();
    }

    @Override
    public int numClasses() {
        return model.numClasses() + 1;
    }

    @Override
    public Bounds bounds() {
        return model.bounds();
    }

    @Override
    public boolean hasGradients() {
        return true;
    }

    @Override
    public NDArray logits(NDArray x) {
        NDManager caller = x.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(x);
            NDArray result = augmented(model.logits(x), detector.detector().scores(x));
            result.attach(caller);
            return result;
        }
    }

    @Override
    public LossGradient lossGradient(NDArray x, NDArray labels, LogitLoss loss) {
        NDManager caller = x.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(x, labels);
            LossGradient own = model.lossGradient(x, labels, loss);
            NDArray scores = null;
            NDArray hinge = null;
            NDArray gradient = null;
            for (int k = 1; k <= eot; k++) {
                NDArray leaf = x.duplicate();
                leaf.setRequiresGradient(true);
                try (GradientCollector collector = Backward.collector()) {
                    NDArray s = detector.detector().scoresForGradient(leaf);
                    NDArray h = hinge(s);
                    Backward.run(collector, h.sum());
                    NDArray g = leaf.getGradient().duplicate();
                    s = s.stopGradient();
                    h = h.stopGradient();
                    // running means, exact for a deterministic detector
                    scores = scores == null ? s : scores.add(s.sub(scores).div(k));
                    hinge = hinge == null ? h : hinge.add(h.sub(hinge).div(k));
                    gradient = gradient == null ? g : gradient.add(g.sub(gradient).div(k));
                }
            }
            LossGradient result = new LossGradient(augmented(own.logits(), scores),
                    own.loss().sub(hinge.mul(lambda)),
                    own.gradient().sub(gradient.mul(lambda)));
            result.logits().attach(caller);
            result.loss().attach(caller);
            result.gradient().attach(caller);
            return result;
        }
    }

    /** max(0, (s − θ)/σ + κ). */
    private NDArray hinge(NDArray scores) {
        CalibratedDetector.Card card = detector.card();
        return scores.sub(card.threshold()).div(card.scoreScale()).add(margin).maximum(0f);
    }

    /** [Z, max Z + (s − θ)/σ]. */
    private NDArray augmented(NDArray logits, NDArray scores) {
        CalibratedDetector.Card card = detector.card();
        NDArray reject = logits.max(new int[] {1})
                .add(scores.sub(card.threshold()).div(card.scoreScale()));
        return NDArrays.concat(new NDList(logits, reject.expandDims(1)), 1);
    }
}
