package org.parry.model.zoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.parry.Identified;

/**
 * The denoising operation D of a {@link FeatureDenoising} block (Xie, Wu, van der Maaten, Yuille
 * and He, "Feature denoising for improving adversarial robustness", CVPR 2019, §4), applied to a
 * feature map x [B, C, H, W] with N = H·W positions; x_i ∈ R^C is the feature vector at position
 * i, and every variant keeps the shape.
 *
 * <ul>
 *   <li>{@code nonlocal}: non-local means with Gaussian weights, {@code D(x)_i = Σ_j w_ij x_j},
 *       {@code w_ij = softmax_j(x_iᵀ x_j / √C)} over all N positions.
 *   <li>{@code nonlocal-embedded}: the same with the affinity taken between 1×1 projections
 *       {@code softmax_j(θ(x_i)ᵀ φ(x_j) / √d)}, d = C/2 (θ and φ are parameters of the block);
 *       the values averaged are x itself. The paper's and its code's default.
 *   <li>{@code nonlocal-dot}: dot-product weights {@code w_ij = x_iᵀ x_j / N}, no softmax. Its
 *       weights do not sum to one: a constant map c comes out as ||c||² c.
 *   <li>{@code bilateral}: the Gaussian weights of {@code nonlocal} restricted to the 3×3 window
 *       around i (the paper's example size for its local region), softmax over the window.
 *   <li>{@code mean}: the 3×3 mean (average pooling with stride 1).
 *   <li>{@code median}: the 3×3 median, per channel.
 * </ul>
 *
 * <p><b>Borders.</b> The local variants see only positions inside the map: bilateral's softmax,
 * the mean's count and the median run over the valid neighbours (9 inside, 6 on an edge, 4 in a
 * corner), so padding adds no fake zero neighbours and a constant map is a fixed point of all
 * three. (The paper does not say how it treats borders; counting valid neighbours only is what
 * TensorFlow's SAME average pooling does. The mean is summed over the shifted copies because
 * DJL 0.35.1's {@code avgPool2d} counted the zero padding in a test here even with {@code
 * countIncludePad = false}.) Where the number of valid neighbours is even, the median is the
 * lower of the two middle values, as {@code torch.median} takes it.
 *
 * <p><b>Gradients.</b> All variants are differentiable almost everywhere; the median passes the
 * gradient to the one element it selects.
 *
 * <p><b>Cost.</b> The Gaussian variants form the N×N weight matrix: O(N²·C) time and O(N²) memory
 * per sample (14×14 maps: 196² = 38k weights per sample; 28×28: 615k, about 2.5 MB per sample in
 * float32, so a batch of 128 needs over 300 MB). The dot product is evaluated as
 * {@code (1/N)(X Xᵀ) X}, O(N·C²) with no N×N matrix, as in the paper's code. The local variants
 * cost 9 shifted copies of the map.
 */
public enum Denoiser implements Identified {
    NONLOCAL("nonlocal"),
    NONLOCAL_EMBEDDED("nonlocal-embedded"),
    NONLOCAL_DOT("nonlocal-dot"),
    BILATERAL("bilateral"),
    MEAN("mean"),
    MEDIAN("median");

    /** The side of the local window of bilateral, mean and median. */
    public static final int WINDOW = 3;

    private final String id;

    Denoiser(String id) {
        this.id = id;
    }

    @Override
    public String id() {
        return id;
    }

    /**
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static Denoiser parse(String text) {
        return Identified.parse(values(), text, "denoiser");
    }

    /** Whether the block learns the θ and φ projections this variant compares. */
    public boolean embedded() {
        return this == NONLOCAL_EMBEDDED;
    }

    /**
     * D(x).
     *
     * @param x the feature map [B, C, H, W]
     * @param theta the features the Gaussian affinity compares on the side of i, [B, d, H, W]:
     *     the block's θ projection of x for {@code nonlocal-embedded}, x itself for the other
     *     variants (the dot product and the local filters ignore it)
     * @param phi the same on the side of j (the φ projection, or x)
     */
    NDArray apply(NDArray x, NDArray theta, NDArray phi) {
        return switch (this) {
            case NONLOCAL, NONLOCAL_EMBEDDED -> nonLocalMeans(x, theta, phi);
            case NONLOCAL_DOT -> dotProduct(x);
            case BILATERAL -> bilateral(x);
            case MEAN -> neighbourhood(x, 0).sum(new int[] {2})
                    .div(validNeighbours(x).sum(new int[] {2}));
            case MEDIAN -> median(x);
        };
    }

    private static NDArray nonLocalMeans(NDArray x, NDArray theta, NDArray phi) {
        Shape shape = x.getShape();
        long batch = shape.get(0);
        NDArray weights = gaussianWeights(theta.reshape(batch, theta.getShape().get(1), -1),
                phi.reshape(batch, phi.getShape().get(1), -1));
        // out[c, i] = Σ_j x[c, j] w[i, j]
        return x.reshape(batch, shape.get(1), -1).matMul(weights.transpose(0, 2, 1)).reshape(shape);
    }

    /**
     * The Gaussian non-local weights {@code w[b, i, j] = softmax_j(θ_iᵀ φ_j / √d)}.
     *
     * @param theta the features of the positions i, [B, d, N]
     * @param phi the features of the positions j, [B, d, N]
     * @return [B, N, N], each row i a distribution over the positions j
     */
    static NDArray gaussianWeights(NDArray theta, NDArray phi) {
        double scale = Math.sqrt(theta.getShape().get(1));
        return theta.transpose(0, 2, 1).matMul(phi).div(scale).softmax(2);
    }

    private static NDArray dotProduct(NDArray x) {
        Shape shape = x.getShape();
        NDArray flat = x.reshape(shape.get(0), shape.get(1), -1);
        long positions = flat.getShape().get(2);
        // Σ_j (x_iᵀ x_j) x_j = (Σ_j x_j x_jᵀ) x_i: a C×C Gram matrix instead of N×N weights
        NDArray gram = flat.matMul(flat.transpose(0, 2, 1));
        return gram.matMul(flat).div(positions).reshape(shape);
    }

    private static NDArray bilateral(NDArray x) {
        NDArray neighbours = neighbourhood(x, 0);
        NDArray weights = windowWeights(x, neighbours);
        return neighbours.mul(weights.expandDims(1)).sum(new int[] {2});
    }

    /**
     * The bilateral filter's weights: softmax over the valid positions j of the window around i of
     * {@code x_iᵀ x_j / √C}, and exactly 0 at the window's positions outside the map.
     *
     * @param neighbours {@link #neighbourhood} of x
     * @return [B, k², H, W], summing to 1 over axis 1
     */
    static NDArray windowWeights(NDArray x, NDArray neighbours) {
        double scale = Math.sqrt(x.getShape().get(1));
        NDArray logits = neighbours.mul(x.expandDims(2)).sum(new int[] {1}).div(scale);
        // a softmax written out so that outside positions get weight 0, not e^0 / Σ
        NDArray shifted = logits.sub(logits.max(new int[] {1}, true).stopGradient());
        NDArray valid = validNeighbours(x).squeeze(0);
        NDArray unnormalized = shifted.exp().mul(valid);
        return unnormalized.div(unnormalized.sum(new int[] {1}, true));
    }

    private static NDArray median(NDArray x) {
        NDArray sorted = neighbourhood(x, Double.POSITIVE_INFINITY).sort(2);
        // outside positions (+∞) sort last: the lower median of the m valid values is at (m-1)/2
        NDArray count = validNeighbours(x).sum(new int[] {2}, true);
        NDArray middle = count.sub(1).div(2).floor().toType(DataType.INT64, false);
        Shape shape = x.getShape();
        NDArray index = middle.broadcast(shape.get(0), shape.get(1), 1, shape.get(2), shape.get(3));
        return sorted.gather(index, 2).squeeze(2);
    }

    /**
     * The k×k neighbours of every position, stacked on a new axis: {@code out[b, c, k, h, w] =
     * x[b, c, h + dy, w + dx]} for the k-th offset (dy, dx) in row-major order (the centre is
     * k = 4), and {@code fill} where that falls outside the map.
     *
     * @return [B, C, k², H, W]
     */
    static NDArray neighbourhood(NDArray x, double fill) {
        Shape shape = x.getShape();
        long height = shape.get(2);
        long width = shape.get(3);
        int radius = WINDOW / 2;
        NDArray padded = x.pad(new Shape(radius, radius, radius, radius), fill);
        NDList shifts = new NDList(WINDOW * WINDOW);
        for (int dy = 0; dy < WINDOW; dy++) {
            for (int dx = 0; dx < WINDOW; dx++) {
                shifts.add(padded.get(new NDIndex(":, :, {}:{}, {}:{}",
                        dy, dy + height, dx, dx + width)));
            }
        }
        return NDArrays.stack(shifts, 2);
    }

    /** 1 where the neighbour lies inside the map, else 0: [1, 1, k², H, W], x's type. */
    private static NDArray validNeighbours(NDArray x) {
        Shape shape = x.getShape();
        NDArray ones = x.getManager().ones(new Shape(1, 1, shape.get(2), shape.get(3)),
                x.getDataType());
        return neighbourhood(ones, 0);
    }
}
