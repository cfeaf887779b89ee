package org.parry.model.zoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.OptionalDouble;

/**
 * The cosine classifier of SPAT (Hou, Han and Li, "Improving adversarial robustness with
 * self-paced hard-class pair reweighting", AAAI 2023, arXiv:2210.15068): a last layer without
 * bias whose logits are the scaled cosines between the features and each class's weight row,
 *
 * <pre>
 *   c_k = cos(φ(x), w_k) = (φ(x) / ‖φ(x)‖) · (w_k / ‖w_k‖) ∈ [−1, 1],   logits_k = s · c_k
 * </pre>
 *
 * so that every attack and every evaluation sees the logits s·c whose softmax the paper's losses
 * use. Both norms are taken inside the forward pass as x / max(‖x‖, 10⁻¹²) (PyTorch's {@code
 * F.normalize}), so gradients flow through the normalization; the official code instead
 * overwrites the weight's data with its normalized rows before each forward pass, which leaves
 * the same function but changes the stored weights, and keeps the linear layer's bias (zero at
 * initialization, then trained), which would take the logits out of s·[−1, 1]: here there is
 * none, as in the paper's equations. The paper's scale is s = 8. Inputs are [N, D] features,
 * outputs [N, K]; it computes in the data type of its input (float32 or float64).
 */
public final class CosineLinear extends AbstractBlock {

    /** The floor of the norms, PyTorch's default for {@code F.normalize}. */
    static final double NORM_FLOOR = 1e-12;

    private static final byte VERSION = 1;

    private final int units;
    private final float scale;
    private final Parameter weight;

    /**
     * @param units K, the number of classes
     * @param scale s, the factor of the cosines, > 0
     */
    public CosineLinear(int units, float scale) {
        super(VERSION);
        if (units < 1) {
            throw new IllegalArgumentException("a cosine head needs at least one class, got " + units);
        }
        if (!(scale > 0f) || Float.isInfinite(scale)) {
            throw new IllegalArgumentException("the cosine scale must be > 0, got " + scale);
        }
        this.units = units;
        this.scale = scale;
        weight = addParameter(Parameter.builder().setName("weight")
                .setType(Parameter.Type.WEIGHT).build());
    }

    /** s, the factor of the cosines. */
    public float scale() {
        return scale;
    }

    /**
     * The scale of the cosine head inside {@code block} (the block itself or any of its
     * descendants), or empty for a network without one.
     */
    public static OptionalDouble scaleOf(Block block) {
        if (block instanceof CosineLinear head) {
            return OptionalDouble.of(head.scale);
        }
        return block.getChildren().values().stream().map(CosineLinear::scaleOf)
                .filter(OptionalDouble::isPresent).findFirst().orElse(OptionalDouble.empty());
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray features = inputs.singletonOrThrow();
        NDArray rows = store.getValue(weight, features.getDevice(), training);
        NDArray cosines = features.normalize(2, 1, NORM_FLOOR)
                .matMul(rows.normalize(2, 1, NORM_FLOOR).transpose());
        return new NDList(cosines.mul(scale));
    }

    @Override
    protected void prepare(Shape[] inputShapes) {
        Shape input = inputShapes[0];
        if (input.dimension() != 2) {
            throw new IllegalArgumentException("a cosine head needs flat features [N, D], got "
                    + input);
        }
        weight.setShape(new Shape(units, input.get(1)));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), units)};
    }
}
