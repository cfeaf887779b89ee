package org.parry.defense.purify;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.parry.model.Bounds;
import org.parry.model.Stage;

/**
 * Bit-depth reduction, the first "squeezer" of feature squeezing (Xu, Evans and Qi, "Feature
 * squeezing: detecting adversarial examples in deep neural networks", NDSS 2018), used as an input
 * transform: each pixel rounded to one of 2^b levels,
 * <pre>
 *   s(x) = ⌊x · (2^b - 1) + 1/2⌋ / (2^b - 1)      (x in [0, 1]; other boxes are mapped to it)
 * </pre>
 * b = 1 maps [0, 0.5) to 0 and [0.5, 1] to 1. (The paper's code rounds with numpy's {@code rint},
 * half to even, which differs only on exact ties such as x = 0.5, a value no 8-bit image holds.) The function is piecewise constant: its derivative
 * is zero almost everywhere, so a white-box attack that differentiates it learns nothing (masked
 * gradients). BPDA passes the gradient through it with the identity stand-in, as Athalye, Carlini
 * and Wagner (ICML 2018) do for quantization.
 *
 * @param bits b, from 1 to 8 (the paper uses 1 for MNIST, 5 for CIFAR-10)
 */
public record BitDepthReduction(int bits) implements Stage {

    public BitDepthReduction {
        if (bits < 1 || bits > 8) {
            throw new IllegalArgumentException("bit-depth: bits must be in 1..8, got " + bits);
        }
    }

    @Override
    public String name() {
        return "bit-depth";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("bits", bits);
        return settings;
    }

    @Override
    public NDArray apply(NDArray x, Bounds bounds, SplittableRandom random) {
        float levels = (1 << bits) - 1;
        return x.sub(bounds.lower()).div(bounds.range()).mul(levels).add(0.5f).floor().div(levels)
                .mul(bounds.range()).add(bounds.lower());
    }

    @Override
    public boolean differentiable() {
        return false;
    }
}
