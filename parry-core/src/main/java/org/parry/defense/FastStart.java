package org.parry.defense;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.parry.Identified;
import org.parry.model.Bounds;

/**
 * Where the single FGSM step of fast adversarial training starts. {@code random} is Wong et al.'s
 * uniform start in the ball; {@code zero} is plain FGSM training; the two masks are the "data
 * initialization" trick of Li et al. (arXiv 2209.02684, 2022): start from the image with a
 * fraction r of its pixels set to 0, projected into the ball, i.e. δ₀ = Π_ε(x ⊙ M − x). The exact
 * form of the paper's masking is reconstructed (its code was not published): treat it as "after
 * Li et al.".
 */
public enum FastStart implements Identified {
    RANDOM("random"),
    ZERO("zero"),
    /** A fresh Bernoulli mask per step, each pixel zeroed with probability r. */
    RANDOM_MASK("random-mask"),
    /** A fixed mask zeroing ⌊r·d⌋ pixels spread evenly over each image. */
    GRID_MASK("grid-mask");

    private final String id;

    FastStart(String id) {
        this.id = id;
    }

    @Override
    public String id() {
        return id;
    }

    /**
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static FastStart parse(String text) {
        return Identified.parse(values(), text, "start");
    }

    /**
     * The start point for clean images {@code x}, in the ε-ball and in the model's box.
     *
     * @param maskRatio r, the fraction of pixels a mask zeroes
     * @param box the model's box
     */
    public NDArray start(NDArray x, float epsilon, float maskRatio, Bounds box) {
        return switch (this) {
            case RANDOM -> SignSteps.uniformStart(x, epsilon, box);
            case ZERO -> x;
            case RANDOM_MASK -> masked(x, x.getManager().randomUniform(0f, 1f, x.getShape())
                    .gte(maskRatio).toType(DataType.FLOAT32, false), epsilon, box);
            case GRID_MASK -> masked(x, x.getManager().create(grid(x.getShape(), maskRatio),
                    x.getShape()), epsilon, box);
        };
    }

    private static NDArray masked(NDArray x, NDArray mask, float epsilon, Bounds box) {
        return box.clip(x.add(x.mul(mask).sub(x).clip(-epsilon, epsilon)));
    }

    /**
     * 1 for kept pixels, 0 for masked ones: pixel i of an image (in C·H·W order) is masked when
     * ⌊(i + 1)·r⌋ > ⌊i·r⌋, which masks exactly ⌊d·r⌋ of d pixels, evenly spaced.
     */
    static float[] grid(Shape shape, float maskRatio) {
        int perImage = Math.toIntExact(shape.size() / shape.get(0));
        float[] mask = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < mask.length; i++) {
            int pixel = i % perImage;
            boolean masked = Math.floor((pixel + 1) * (double) maskRatio)
                    > Math.floor(pixel * (double) maskRatio);
            mask[i] = masked ? 0f : 1f;
        }
        return mask;
    }
}
