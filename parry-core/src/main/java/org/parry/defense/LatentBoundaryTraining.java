package org.parry.defense;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parry.data.Batch;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.Bounds;
import org.parry.model.Classifier;
import org.parry.model.Layers;
import org.parry.model.Layers.Layer;
import org.parry.train.PreparedBatch;
import org.parry.train.TrainingNetwork;
import org.parry.train.TrainingObjective;

/**
 * LADDER, latent boundary-guided adversarial training (Zhou, Tsang and Yin, "LADDER: Latent
 * boundary-guided adversarial training", Machine Learning, 2022, doi 10.1007/s10994-022-06203-x,
 * arXiv 2206.03717; precursor LAD, arXiv 1907.07001). The classifier is split as f = g ∘ h, h(x)
 * = z the latent features (the input of its last linear layer, flattened to d values). Beside
 * it, Parry trains a decoder G: z ↦ x on the pairs (h(x), x) ({@link LatentDecoder}) and an
 * attention SVM on the latents, s_k(z) = w_k·(a(z) ⊙ z) + b_k ({@link AttentionSvm}). Adversarial
 * examples are generated in latent space, moving each z toward its true class's SVM boundary and
 * decoding the result:
 * <pre>
 *   n = a(z) ⊙ w_y  (attention held fixed),   n̂ = n / ‖n‖
 *   z'_j = z − ε_j·n̂ + σ·ξ,   ξ ~ N(0, I_d),   ε_j = (j / S)·ε·m,   j = 1..S
 *   x'_j = G(z'_j),           label y
 * </pre>
 * where m is the batch's mean latent norm mean_i ‖z_i‖, so that ε ({@code latentEpsilon}) is a
 * fraction of the latents' scale, the same on every architecture; with the attention fixed, each
 * step lowers the true-class score by exactly ε_j·‖n‖. The noise is also relative: σ = noise·m/√d
 * per coordinate, so that ‖σ·ξ‖ ≈ noise·m. Optionally ({@code budget} > 0) an x'_j with
 * ‖x'_j − x‖∞ above the budget is dropped. The classifier is then trained on the union of the
 * clean and the generated examples, each counting once: the loss is the mean cross-entropy over
 * the N + (kept generated) examples of one forward pass, so the generated weigh S/(S+1) when all
 * are kept (the paper's "fine-tune on the union" taken literally).
 *
 * <p>Reconstructed (no official code; the spec, defenses.md §1.9, flags it [recon]): G's
 * architecture and loss (mean squared error), the attention's form and the SVM's squared hinge
 * loss (see the two helpers), the relative scales of ε and σ, and the schedule. The paper
 * pre-trains, then generates, then fine-tunes; here that happens in one run: during the first
 * {@code warmup} epochs (default half of the epochs, at least one) the classifier trains on clean
 * images alone while G and the SVM take one Adam step each on every batch's latents (computed in
 * evaluation mode, without a gradient graph); afterwards every batch adds its S·N generated
 * examples, and G and the SVM keep training on the side. Defaults: S = 5 steps (the spec's
 * experiment), ε = 0.1, noise 0.05, no budget, Adam at 1e-3 for G and the SVM, λ = 1e-4. The
 * paper gives no ε for this scale; 0.1 moves about half of the latents past their true class's
 * boundary ({@link #CROSSED}: 0.45 to 0.51 for a small-cnn on 5,000 Fashion-MNIST images, epochs
 * 3 and 4 of 4), so the examples lie near it on both sides; at 0.5 over 0.9 crossed, and clean,
 * FGSM and PGD accuracy all fell below standard training's.
 *
 * <p>Side training runs in {@code prepare}, outside the trainer's collector, in gradient
 * collectors of its own that touch only G's and the SVM's weights: the classifier's parameters
 * receive no gradient (defenses.md §0.2.2). G, the SVM and their Adam states live in this
 * objective's own manager, released by {@link #close}; every batch's temporaries die with the
 * batch. They are not checkpointed: a resumed run trains them afresh from its first batch. No
 * inner attack loop, so a step costs about two standard steps; the latent perturbations are not
 * bounded in pixel space, so robustness must be measured with standard L∞ attacks, and the paper's
 * gains are mostly against weak and transferred attacks: expect little white-box PGD robustness.
 * Not thread-safe.
 */
public final class LatentBoundaryTraining implements TrainingObjective {

    /** Generated examples kept per clean image over the epoch (0 during the warm-up). */
    public static final String GENERATED = "ladder_generated_per_image";
    /** Share of the generated latents past their true class's boundary (s_y(z') < 0). */
    public static final String CROSSED = "ladder_crossed";
    /** Mean ‖x' − x‖∞ of the generated images. */
    public static final String LINF = "ladder_linf";
    /** G's mean reconstruction error over the epoch's side steps. */
    public static final String RECONSTRUCTION = "ladder_reconstruction_mse";
    /** The SVM's accuracy (argmax of its scores) on the epoch's clean latents. */
    public static final String SVM_ACCURACY = "ladder_svm_accuracy";

    private static final float SMALLEST_NORM = 1e-12f;

    private final Integer warmup;
    private final int steps;
    private final float latentEpsilon;
    private final float noise;
    private final float decoderRate;
    private final float svmRate;
    private final float svmPenalty;
    private final float budget;

    private final NDManager owner = NDManager.newBaseManager();
    private Layers layers;
    private Layer latent;
    private LatentDecoder decoder;
    private AttentionSvm svm;
    private int latentDimension;
    private boolean generating;
    private NDArray lastUnion;
    private int lastClean;
    private final double[] sums = new double[Sum.values().length];

    private enum Sum {
        BATCHES, IMAGES, RECONSTRUCTION, SVM_CORRECT, GENERATED, KEPT, CROSSED, LINF
    }

    private LatentBoundaryTraining(Builder builder) {
        if (builder.warmup != null) {
            Require.atLeast("warmup", builder.warmup, 0);
        }
        Require.atLeast("steps", builder.steps, 1);
        Require.positive("latentEpsilon", builder.latentEpsilon);
        if (!(builder.noise >= 0f) || Float.isInfinite(builder.noise)) {
            throw new IllegalArgumentException("noise must be >= 0, got " + builder.noise);
        }
        Require.positive("decoderRate", builder.decoderRate);
        Require.positive("svmRate", builder.svmRate);
        if (!(builder.svmPenalty >= 0f) || Float.isInfinite(builder.svmPenalty)) {
            throw new IllegalArgumentException("svmPenalty must be >= 0, got "
                    + builder.svmPenalty);
        }
        if (builder.budget != 0f) {
            if (!(builder.budget > 0f && builder.budget <= 1f)) {
                throw new IllegalArgumentException("budget must be 0 (off) or in (0, 1] (an L∞"
                        + " distance in pixels), got " + builder.budget);
            }
        }
        this.warmup = builder.warmup;
        this.steps = builder.steps;
        this.latentEpsilon = builder.latentEpsilon;
        this.noise = builder.noise;
        this.decoderRate = builder.decoderRate;
        this.svmRate = builder.svmRate;
        this.svmPenalty = builder.svmPenalty;
        this.budget = builder.budget;
    }

    /** The paper's schedule with the defaults above. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "ladder";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("warmup", warmup == null ? "half" : warmup);
        settings.put("steps", steps);
        settings.put("latentEpsilon", latentEpsilon);
        settings.put("noise", noise);
        settings.put("decoderRate", decoderRate);
        settings.put("svmRate", svmRate);
        settings.put("svmPenalty", svmPenalty);
        settings.put("budget", budget);
        return settings;
    }

    /**
     * Starts the warm-up or the fine-tuning.
     *
     * @throws IllegalArgumentException when the warm-up leaves no epoch to fine-tune in
     */
    @Override
    public void startEpoch(int epoch, int epochs) {
        int warmupEpochs = warmup != null ? warmup : Math.max(1, epochs / 2);
        if (warmupEpochs >= epochs) {
            throw new IllegalArgumentException("ladder warms up for " + warmupEpochs + " epoch(s)"
                    + " and generates examples only after them, but the run has " + epochs
                    + "; train for at least " + (warmupEpochs + 1) + " epochs (--epochs) or lower"
                    + " ladder.warmup");
        }
        generating = epoch > warmupEpochs;
        Arrays.fill(sums, 0.0);
    }

    /**
     * One side step of G and the SVM on the batch's latents, then (after the warm-up) the clean
     * batch followed by its generated examples, as one batch.
     */
    @Override
    public PreparedBatch prepare(Classifier model, Batch batch) {
        NDArray x = batch.x();
        NDArray y = batch.y();
        NDManager caller = x.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(x, y);
            NDArray z = latents(model, x);
            Bounds bounds = model.bounds();
            NDArray target = x.sub(bounds.lower()).div(bounds.range());
            sideNetworks(z, model);
            add(Sum.BATCHES, 1);
            add(Sum.IMAGES, batch.size());
            add(Sum.RECONSTRUCTION, decoder.train(z, target, scope));
            svm.train(z, y, scope);
            add(Sum.SVM_CORRECT, svm.scores(z).argMax(1).toType(y.getDataType(), false).eq(y)
                    .sum().getLong());
            lastClean = batch.size();
            if (!generating) {
                lastUnion = x;
                return PreparedBatch.of(batch);
            }
            float[] fractions = new float[steps];
            for (int j = 0; j < steps; j++) {
                fractions[j] = latentEpsilon * (j + 1) / steps;
            }
            Generated generated = generate(z, y, fractions, bounds);
            NDArray images = generated.images();
            NDArray labels = generated.labels();
            NDArray distance = images.sub(stacked(x, steps)).abs()
                    .reshape(images.getShape().get(0), -1).max(new int[] {1});
            add(Sum.GENERATED, distance.size());
            add(Sum.CROSSED, generated.trueScores().lt(0f).sum().getLong());
            add(Sum.LINF, distance.sum().getFloat());
            if (budget > 0f) {
                NDArray keep = distance.lte(budget);
                Shape image = images.getShape().slice(1);
                images = images.booleanMask(keep.reshape(keep.size(), 1, 1, 1)
                        .broadcast(images.getShape())).reshape(new Shape(-1).addAll(image));
                labels = labels.booleanMask(keep);
            }
            add(Sum.KEPT, images.getShape().get(0));
            NDArray unionX = x.concat(images);
            NDArray unionY = y.concat(labels);
            unionX.attach(caller);
            unionY.attach(caller);
            lastUnion = unionX;
            return PreparedBatch.of(new Batch(unionX, unionY));
        }
    }

    /**
     * The mean cross-entropy over the prepared batch (clean and generated alike); the progress
     * bar's accuracy is that of the clean images.
     */
    @Override
    public StepLoss loss(TrainingNetwork network, PreparedBatch prepared) {
        NDArray logits = network.logits(prepared.x());
        NDArray loss = CrossEntropyLoss.get().perSample(logits, prepared.y()).mean();
        long rows = prepared.x().getShape().get(0);
        long clean = prepared.x() == lastUnion ? lastClean : rows;
        if (clean == rows) {
            return new StepLoss(loss, logits, prepared.y());
        }
        String head = ":" + clean;
        return new StepLoss(loss, logits.get(head), prepared.y().get(head));
    }

    @Override
    public Map<String, Double> epochStatistics() {
        Map<String, Double> statistics = new LinkedHashMap<>();
        double images = sums[Sum.IMAGES.ordinal()];
        if (images == 0) {
            return statistics;
        }
        statistics.put(RECONSTRUCTION,
                sums[Sum.RECONSTRUCTION.ordinal()] / sums[Sum.BATCHES.ordinal()]);
        statistics.put(SVM_ACCURACY, sums[Sum.SVM_CORRECT.ordinal()] / images);
        statistics.put(GENERATED, sums[Sum.KEPT.ordinal()] / images);
        double generated = sums[Sum.GENERATED.ordinal()];
        if (generated > 0) {
            statistics.put(CROSSED, sums[Sum.CROSSED.ordinal()] / generated);
            statistics.put(LINF, sums[Sum.LINF.ordinal()] / generated);
        }
        return statistics;
    }

    /** Releases G, the SVM and their optimizers' state. */
    @Override
    public void close() {
        owner.close();
    }

    /**
     * Generated images and their labels, with the true-class score of each moved latent (the
     * attention held at that of the clean latent).
     *
     * @param images [S·N, C, H, W] in the model's bounds, step j's block of N after step j − 1's
     * @param labels [S·N], the batch's labels repeated S times
     * @param trueScores [S·N] s_y(z'_j) with a = a(z)
     */
    record Generated(NDArray images, NDArray labels, NDArray trueScores) {}

    /**
     * x'_j = G(z − ε_j·n̂ + σ·ξ), ε_j = fractions[j]·m (m the mean ‖z‖ of the batch), with the
     * side networks as they are: the step and its noise, without the budget.
     *
     * @param z [N, d] latents of the batch
     * @param y [N] labels
     * @param fractions each step's ε_j / m; 0 gives the (noisy) reconstruction G(z + σ·ξ)
     */
    Generated generate(NDArray z, NDArray y, float[] fractions, Bounds bounds) {
        requireSideNetworks();
        long n = z.getShape().get(0);
        long d = z.getShape().get(1);
        float scale = z.norm(new int[] {1}).mean().getFloat();
        NDArray attention = svm.attention(z);
        NDArray normal = svm.normal(z, y);
        NDArray unit = normal.div(normal.norm(new int[] {1}, true).maximum(SMALLEST_NORM));
        NDArray epsilons = z.getManager().create(fractions).mul(scale)
                .reshape(fractions.length, 1, 1);
        NDArray moved = z.expandDims(0).sub(epsilons.mul(unit.expandDims(0)))
                .reshape(fractions.length * n, d);
        if (noise > 0f) {
            moved = moved.add(z.getManager().randomNormal(0f, noise * scale / (float) Math.sqrt(d),
                    moved.getShape(), DataType.FLOAT32));
        }
        NDArray labels = stacked(y, fractions.length);
        NDArray trueScores = svm.trueScore(moved, stacked(attention, fractions.length), labels);
        NDArray images = decoder.decode(moved).mul(bounds.range()).add(bounds.lower());
        return new Generated(images, labels, trueScores);
    }

    /** {@code times} copies of a batch, one after the other along the first axis. */
    private static NDArray stacked(NDArray batch, int times) {
        long[] repeats = new long[batch.getShape().dimension()];
        Arrays.fill(repeats, 1L);
        repeats[0] = times;
        return batch.tile(repeats);
    }

    /**
     * z = h(x): the input of the model's last linear layer, in evaluation mode, flattened to
     * [N, d], without a gradient graph.
     *
     * @throws IllegalArgumentException for a model whose layers Parry cannot read, or without a
     *     linear last layer
     */
    NDArray latents(Classifier model, NDArray x) {
        if (layers == null || layers.model() != model) {
            layers = Layers.of(model);
            latent = latentLayer(layers);
        }
        NDArray features = layers.features(latent, x);
        return features.reshape(features.getShape().get(0), -1);
    }

    private static Layer latentLayer(Layers layers) {
        List<Layer> list = layers.list();
        for (int i = list.size() - 1; i > 0; i--) {
            if (list.get(i).kind().equals("Linear")) {
                return list.get(i - 1);
            }
        }
        throw new IllegalArgumentException("ladder takes its latent z at the input of the model's"
                + " last linear layer, but model '" + layers.model().name() + "' has none: "
                + layers.describe() + "; train an architecture that ends in a linear classifier");
    }

    private void sideNetworks(NDArray z, Classifier model) {
        int d = Math.toIntExact(z.getShape().get(1));
        if (decoder == null) {
            decoder = new LatentDecoder(d, model.inputShape(), decoderRate, owner);
            svm = new AttentionSvm(d, model.numClasses(), svmRate, svmPenalty, owner);
            latentDimension = d;
        } else if (d != latentDimension) {
            throw new IllegalArgumentException("this ladder objective's decoder and SVM were"
                    + " trained on " + latentDimension + " latent values, but model '"
                    + model.name() + "' has " + d + "; use a new objective for each model");
        }
    }

    private void requireSideNetworks() {
        if (decoder == null) {
            throw new IllegalStateException("ladder has no decoder or SVM yet: they are created"
                    + " and trained by prepare(), so call it on a batch first");
        }
    }

    /** G, for tests. */
    LatentDecoder decoder() {
        requireSideNetworks();
        return decoder;
    }

    /** The attention SVM, for tests. */
    AttentionSvm svm() {
        requireSideNetworks();
        return svm;
    }

    /** The number of arrays the objective holds (G, the SVM and their optimizers' state). */
    int heldArrays() {
        return owner.getManagedArrays().size();
    }

    private void add(Sum sum, double value) {
        sums[sum.ordinal()] += value;
    }

    /** The settings of {@link LatentBoundaryTraining}, DJL style. */
    public static final class Builder {

        private Integer warmup;
        private int steps = 5;
        private float latentEpsilon = 0.1f;
        private float noise = 0.05f;
        private float decoderRate = 1e-3f;
        private float svmRate = 1e-3f;
        private float svmPenalty = 1e-4f;
        private float budget;

        private Builder() {}

        /** Epochs of clean training before examples are generated (default: half, at least 1). */
        public Builder optWarmup(int epochs) {
            this.warmup = epochs;
            return this;
        }

        /** S, the latent steps per image (default 5). */
        public Builder optSteps(int steps) {
            this.steps = steps;
            return this;
        }

        /** ε, the largest latent step as a fraction of the batch's mean ‖z‖ (default 0.1). */
        public Builder optLatentEpsilon(float latentEpsilon) {
            this.latentEpsilon = latentEpsilon;
            return this;
        }

        /** The latent noise's norm as a fraction of the mean ‖z‖ (default 0.05; 0 for none). */
        public Builder optNoise(float noise) {
            this.noise = noise;
            return this;
        }

        /** Adam's step size for the decoder (default 1e-3). */
        public Builder optDecoderRate(float rate) {
            this.decoderRate = rate;
            return this;
        }

        /** Adam's step size for the attention SVM (default 1e-3). */
        public Builder optSvmRate(float rate) {
            this.svmRate = rate;
            return this;
        }

        /** λ, the SVM's L2 penalty (default 1e-4). */
        public Builder optSvmPenalty(float penalty) {
            this.svmPenalty = penalty;
            return this;
        }

        /** Drops generated images farther than this in L∞ from their clean image (0 = off). */
        public Builder optBudget(float budget) {
            this.budget = budget;
            return this;
        }

        /** @throws IllegalArgumentException naming a bad setting */
        public LatentBoundaryTraining build() {
            return new LatentBoundaryTraining(this);
        }
    }
}
