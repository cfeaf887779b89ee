package org.parry.defense.purify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.parry.model.Bounds;
import org.parry.model.Stage;

/**
 * Median smoothing, the second squeezer of feature squeezing (Xu, Evans and Qi, NDSS 2018), used
 * as an input transform: each pixel replaced by the median of the k × k window around it, per
 * channel,
 * <pre>
 *   s(x)_{c,i,j} = rank_{⌊k²/2⌋} { x_{c,i+a,j+b} : a, b ∈ [-⌊k/2⌋, k - 1 - ⌊k/2⌋] }
 * </pre>
 * with the conventions of scipy.ndimage.median_filter, which the paper's code calls: the element
 * of rank ⌊k²/2⌋ of the sorted window (for even k the upper of the two middle values), an even
 * window reaching one pixel further up and left than down and right, and edges reflected (d c b a
 * | a b c d | d c b a). The paper's MNIST squeezer is 2 × 2.
 *
 * <p>The median selects one pixel of the window, so autograd gives its derivative almost
 * everywhere (1 for the selected pixel, 0 for the others): the stage is differentiable.
 *
 * @param size k, from 2 to 9
 */
public record MedianSmoothing(int size) implements Stage {

    public MedianSmoothing {
        if (size < 2 || size > 9) {
            throw new IllegalArgumentException("median: size must be in 2..9, got " + size);
        }
    }

    @Override
    public String name() {
        return "median";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("size", size);
        return settings;
    }

    @Override
    public NDArray apply(NDArray x, Bounds bounds, SplittableRandom random) {
        int height = Math.toIntExact(x.getShape().get(2));
        int width = Math.toIntExact(x.getShape().get(3));
        int first = -(size / 2);
        NDList window = new NDList();
        for (int a = first; a < first + size; a++) {
            for (int b = first; b < first + size; b++) {
                window.add(PixelMaps.select(x, bounds, PixelMaps.shiftReflect(height, a),
                        PixelMaps.shiftReflect(width, b)));
            }
        }
        return NDArrays.stack(window, 4).sort(4).get(":, :, :, :, " + (size * size / 2));
    }

    @Override
    public boolean differentiable() {
        return true;
    }
}
