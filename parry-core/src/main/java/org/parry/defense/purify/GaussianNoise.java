package org.parry.defense.purify;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.parry.model.Bounds;
import org.parry.model.Stage;

/**
 * Gaussian noise added at test time, the simplest randomized defense (the input noise layer of
 * Liu, Cheng, Zhang and Hsieh, "Towards robust neural networks via random self-ensemble", ECCV
 * 2018; the test model of expectation over transformation in Athalye, Carlini and Wagner, ICML
 * 2018):
 * <pre>
 *   s(x) = clip(x + σ · range · z, box),   z ~ N(0, I), fresh at every forward pass
 * </pre>
 * Differentiable (the noise is additive, the clip passes the gradient inside the box); an attack
 * that takes one draw's gradient chases the noise, one that averages over draws (EOT) does not.
 *
 * @param sigma σ, the noise's standard deviation as a fraction of the box's width, in (0, 1]
 */
public record GaussianNoise(float sigma) implements Stage {

    public GaussianNoise {
        if (!(sigma > 0f && sigma <= 1f)) {
            throw new IllegalArgumentException("noise: sigma must be in (0, 1], got " + sigma);
        }
    }

    @Override
    public String name() {
        return "noise";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("sigma", sigma);
        return settings;
    }

    @Override
    public NDArray apply(NDArray x, Bounds bounds, SplittableRandom random) {
        float[] noise = new float[Math.toIntExact(x.getShape().size())];
        float scale = sigma * bounds.range();
        for (int i = 0; i < noise.length; i++) {
            noise[i] = (float) (scale * random.nextGaussian());
        }
        NDArray z = x.getManager().create(noise, x.getShape()).toType(x.getDataType(), false);
        return bounds.clip(x.add(z));
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public boolean randomized() {
        return true;
    }
}
