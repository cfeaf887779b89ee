package org.parry.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.SplittableRandom;
import org.parry.loss.LogitLoss;
import org.parry.model.Classifier;
import org.parry.model.ForwardingClassifier;
import org.parry.model.LossGradient;

/**
 * A model whose input gradients are wrong the way a faulty native kernel makes them: the true
 * gradient plus an error of a given relative size in a random direction, different at every call
 * (the oneDNN fault on one AVX-512 CPU was 5-25% off, and different from call to call). Logits are
 * the wrapped model's.
 */
public final class FaultyGradientClassifier extends ForwardingClassifier {

    private final double relativeError;
    private final SplittableRandom random;

    public FaultyGradientClassifier(Classifier model, double relativeError, long seed) {
        super(model);
        this.relativeError = relativeError;
        this.random = new SplittableRandom(seed);
    }

    @Override
    public String name() {
        return "faulty-" + model.name();
    }

    @Override
    public LossGradient lossGradient(NDArray x, NDArray labels, LogitLoss loss) {
        LossGradient pass = model.lossGradient(x, labels, loss);
        NDManager manager = pass.gradient().getManager();
        float[] noise = new float[Math.toIntExact(x.getShape().size())];
        for (int i = 0; i < noise.length; i++) {
            noise[i] = (float) random.nextGaussian();
        }
        NDArray error = manager.create(noise, x.getShape());
        error = error.mul(pass.gradient().norm().getFloat() * relativeError / error.norm().getFloat());
        return new LossGradient(pass.logits(), pass.loss(), pass.gradient().add(error));
    }
}
