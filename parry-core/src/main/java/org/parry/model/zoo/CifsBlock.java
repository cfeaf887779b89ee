package org.parry.model.zoo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Channel-wise importance-based feature selection (Yan, Zhang, Niu, Feng, Tan and Sugiyama,
 * "CIFS: Improving adversarial robustness of CNNs via channel-wise importance-based feature
 * selection", ICML 2021; code HanshuYAN/CIFS). Placed after a block whose output is the feature
 * map z [N, C, H, W], a probe network A makes a raw prediction p = A(z) [N, K]; each channel's
 * relevance is the spatially summed gradient of two probe logits, and a softmax over channels
 * turns relevances into a multiplier:
 * <pre>
 *   r_c = Σ_{h,w} ∂(p_a + p_b)/∂z_{c,h,w}   (on a detached copy of z)
 *   m   = 2 · softmax_c(r)                   (the code's factor 2: m sums to 2 over channels)
 *   out = z ⊙ m                              (m broadcast over H × W)
 * </pre>
 * In training, a is the true class and b the probe's second-ranked class (y is counted twice when
 * the probe ranks it second, as in the code); in evaluation, a and b are the probe's top two
 * classes. The probe logits p join the loss (see {@link JointLoss}): the block reports them
 * through {@link SideOutputs} with its β.
 *
 * <p>Closed form. The code takes the gradient with {@code create_graph} on a detached z, so m's
 * value depends on x but no gradient flows from m to x, while the loss reaches the probe's
 * weights through m. With ḡ = GAP(stopgrad(z)) the same mask is an ordinary expression, with no
 * double backpropagation (which DJL's public API does not offer):
 * <pre>
 *   linear probe,    p = W ḡ + b:                       r = W[a] + W[b]
 *   nonlinear probe, p = W₂ softplus₅(W₁ ḡ + b₁) + b₂:  r = W₁ᵀ (sigmoid(5u) ⊙ (W₂[a] + W₂[b])), u = W₁ḡ + b₁
 * </pre>
 * (softplus with β = 5 has derivative sigmoid(5u)). Attacks therefore differentiate z ⊙ m with m
 * held constant, which is the code's semantics.
 */
public final class CifsBlock extends AbstractBlock {

    /** The nonlinear probe's hidden width, as in the code. */
    static final int HIDDEN = 128;

    /** The softplus sharpness of the nonlinear probe, as in the code. */
    static final float SOFTPLUS_BETA = 5f;

    private static final byte VERSION = 1;

    private final CifsProbe probe;
    private final int numClasses;
    private final float beta;
    private final Parameter weight;
    private final Parameter bias;
    private final Parameter hiddenWeight;
    private final Parameter hiddenBias;

    /**
     * @param probe {@link CifsProbe#LINEAR} or {@link CifsProbe#NONLINEAR}
     * @param numClasses K, the probe's outputs
     * @param beta the probes' weight β in the joint loss
     */
    public CifsBlock(CifsProbe probe, int numClasses, float beta) {
        super(VERSION);
        if (probe == CifsProbe.NONE) {
            throw new IllegalArgumentException("a CIFS block needs a probe: linear or nonlinear");
        }
        this.probe = probe;
        this.numClasses = numClasses;
        this.beta = beta;
        weight = addParameter(Parameter.builder().setName("weight")
                .setType(Parameter.Type.WEIGHT).build());
        bias = addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BIAS).build());
        if (probe == CifsProbe.NONLINEAR) {
            hiddenWeight = addParameter(Parameter.builder().setName("hiddenWeight")
                    .setType(Parameter.Type.WEIGHT).build());
            hiddenBias = addParameter(Parameter.builder().setName("hiddenBias")
                    .setType(Parameter.Type.BIAS).build());
        } else {
            hiddenWeight = null;
            hiddenBias = null;
        }
    }

    /** The probe network's kind. */
    public CifsProbe probe() {
        return probe;
    }

    @Override
    public void prepare(Shape[] inputShapes) {
        long channels = inputShapes[0].get(1);
        if (probe == CifsProbe.LINEAR) {
            weight.setShape(new Shape(numClasses, channels));
        } else {
            hiddenWeight.setShape(new Shape(HIDDEN, channels));
            hiddenBias.setShape(new Shape(HIDDEN));
            weight.setShape(new Shape(numClasses, HIDDEN));
        }
        bias.setShape(new Shape(numClasses));
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray z = inputs.singletonOrThrow();
        Device device = z.getDevice();
        NDArray w = store.getValue(weight, device, training);
        NDArray b = store.getValue(bias, device, training);
        NDArray w1 = probe == CifsProbe.NONLINEAR ? store.getValue(hiddenWeight, device, training)
                : null;
        NDArray b1 = probe == CifsProbe.NONLINEAR ? store.getValue(hiddenBias, device, training)
                : null;

        NDArray pooled = spatialMean(z);
        NDArray probeLogits = logits(pooled, w, b, w1, b1);
        SideOutputs side = SideOutputs.current().orElse(null);
        if (side != null) {
            side.addProbe(probeLogits, beta);
        }

        NDArray detached = spatialMean(z.stopGradient());
        NDArray ranks = probeLogits.stopGradient().topK(2, 1).get(1);
        NDArray top1 = ranks.get(new NDIndex(":, 0"));
        NDArray second = ranks.get(new NDIndex(":, 1"));
        NDArray labels = training && side != null ? side.labels().orElse(null) : null;
        NDArray first = labels == null ? top1 : labels;
        NDArray selected = first.oneHot(numClasses, z.getDataType())
                .add(second.oneHot(numClasses, z.getDataType()));
        NDArray relevance;
        if (probe == CifsProbe.LINEAR) {
            relevance = selected.matMul(w);
        } else {
            NDArray u = detached.matMul(w1.transpose()).add(b1);
            relevance = Activation.sigmoid(u.mul(SOFTPLUS_BETA)).mul(selected.matMul(w)).matMul(w1);
        }
        NDArray mask = relevance.softmax(1).mul(2f);
        long[] shape = z.getShape().getShape();
        return new NDList(z.mul(mask.reshape(shape[0], shape[1], 1, 1)));
    }

    /** Global average pooling: [N, C, H, W] to [N, C]. */
    private static NDArray spatialMean(NDArray z) {
        long[] shape = z.getShape().getShape();
        return z.reshape(shape[0], shape[1], -1).mean(new int[] {2});
    }

    /** The probe's logits p = A(ḡ) for pooled features ḡ [N, C]. */
    private static NDArray logits(NDArray pooled, NDArray w, NDArray b, NDArray w1, NDArray b1) {
        if (w1 == null) {
            return pooled.matMul(w.transpose()).add(b);
        }
        NDArray u = pooled.matMul(w1.transpose()).add(b1);
        NDArray hidden = Nonlinearity.SOFTPLUS.apply(u.mul(SOFTPLUS_BETA)).div(SOFTPLUS_BETA);
        return hidden.matMul(w.transpose()).add(b);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
