package org.parry.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.SplittableRandom;
import org.parry.loss.LogitLoss;
import org.parry.model.Classifier;
import org.parry.model.ForwardingClassifier;
import org.parry.model.LossGradient;

/**
 * A randomized classifier, as a test-time defense would be: every forward pass adds fresh Gaussian
 * noise N(0, σ²) to the input before the wrapped model (Athalye et al. 2018 break such defenses
 * with expectation over transformation). The noise comes from the wrapper's own seeded generator,
 * so a test sees the same sequence of draws on every run. The gradient with respect to the input
 * is that of the model at the noisy point (the noise is additive). Does not close the wrapped
 * model. Not thread-safe.
 */
public final class NoisyClassifier extends ForwardingClassifier {

    private final float sigma;
    private final SplittableRandom random;

    public NoisyClassifier(Classifier model, float sigma, long seed) {
        super(model);
        this.sigma = sigma;
        this.random = new SplittableRandom(seed);
    }

    @Override
    public String name() {
        return "noisy-" + model.name();
    }

    @Override
    public NDArray logits(NDArray x) {
        NDManager caller = x.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(x);
            NDArray logits = model.logits(noisy(x));
            logits.attach(caller);
            return logits;
        }
    }

    @Override
    public LossGradient lossGradient(NDArray x, NDArray labels, LogitLoss loss) {
        NDManager caller = x.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(x, labels);
            LossGradient pass = model.lossGradient(noisy(x), labels, loss);
            pass.logits().attach(caller);
            pass.loss().attach(caller);
            pass.gradient().attach(caller);
            return pass;
        }
    }

    /** x + σ · N(0, I), in x's manager. */
    private NDArray noisy(NDArray x) {
        float[] noise = new float[Math.toIntExact(x.getShape().size())];
        for (int i = 0; i < noise.length; i++) {
            noise[i] = (float) (sigma * random.nextGaussian());
        }
        return x.add(x.getManager().create(noise, x.getShape()));
    }
}
