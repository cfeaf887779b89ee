package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.parry.criterion.Criterion;
import org.parry.criterion.Misclassification;
import org.parry.data.ImageDataset;
import org.parry.model.Bounds;
import org.parry.model.Classifier;
import org.parry.model.InputCheck;
import org.parry.model.NoGradientClassifier;
import org.parry.norm.Norm;

/**
 * Universal adversarial perturbations (Moosavi-Dezfooli, Fawzi, Fawzi and Frossard, "Universal
 * adversarial perturbations", CVPR 2017, arXiv:1610.08401; code LTS4/universal): one
 * image-agnostic perturbation v, ||v||_p <= ξ (the {@code epsilon} here), that changes the
 * prediction k̂ of most images of a distribution. Algorithm 1 of the paper, on a fitting set X:
 * <pre>
 *   v = 0
 *   repeat a pass over X, in a fresh random order, until fooling(v) >= 1 - δ or `passes` passes:
 *     for each x_i with k̂(x_i + v) = k̂(x_i):
 *       Δv_i = DeepFool(x_i + v)                      (the minimal perturbation of x_i + v)
 *       if DeepFool converged:  v <- P_{p,ξ}(v + Δv_i)
 *     fooling(v) = (1 / |X|) Σ_i 1[k̂(x_i + v) ≠ k̂(x_i)]      (recomputed on X, batched)
 *   P_{2,ξ}(v) = v · min(1, ξ / ||v||_2),    P_{∞,ξ}(v) = clip(v, -ξ, ξ)
 * </pre>
 * The fooling rate compares with the clean prediction k̂(x), not with the label. "Converged" is
 * LTS4's test {@code iter < max_iter_df - 1}: the DeepFool run crossed the boundary in fewer than
 * {@code steps - 1} iterations (so {@code steps} >= 3); an unconverged Δv is never added. The inner
 * attack is {@link DeepFool} in L2 ({@link #deepFool()}) for both norms, as in LTS4/universal,
 * with the paper's 10 steps, overshoot 0.02 and the 10 classes of largest logit.
 *
 * <p>Where Parry departs from the paper and its code:
 * <ul>
 *   <li>Images are always perturbed as clip(x + v) into the model's box ({@link
 *       Classifier#bounds()}), when fitting and when {@link Universal#apply applying} v (the paper
 *       adds v without clipping). DeepFool starts from that clipped point, clips its own iterates
 *       (see {@link DeepFool}), and Δv_i is its result minus clip(x_i + v).
 *   <li>Mini-batches of {@code batch} images (b). The paper's loop is b = 1: each image is checked
 *       against, and DeepFool'd from, the v that every earlier update produced. With b > 1 the b
 *       images of a mini-batch are checked against the v of the start of the mini-batch, the ones
 *       not fooled by it go through one batched DeepFool run from x_i + v, and then their converged
 *       Δv_i are added one after another in the shuffled order, each update followed by the
 *       projection. So an image is DeepFool'd even if an update earlier in its own mini-batch has
 *       already fooled it, and its Δv_i was computed at a v that has since moved (like the
 *       gradients of one SGD mini-batch). b = 1 is the paper's algorithm exactly; the default b =
 *       16 runs DeepFool's backward passes 16 images at a time.
 *   <li>At most {@code passes} passes (LTS4 has no limit; ART's max_iter is 20, Parry's default).
 *   <li>The order of each pass is a Fisher-Yates shuffle by {@link Random} seeded once with
 *       {@code seed}, so a fit is reproducible.
 * </ul>
 *
 * <p>As an {@link Attack} ({@code uap} in {@link AttackRegistry}), {@link #run} fits v on the
 * batch it is given and returns clip(x + v) for that same batch: the images v was fitted on, so
 * this is an in-sample number, higher than v achieves on unseen images. It lets {@code evaluate}
 * list a universal perturbation beside per-image attacks; the real workflow fits on one set and
 * measures on another ({@link #fit(Classifier, ImageDataset, int, PassListener)}, {@link
 * Universal#evaluate}, {@code parry attack --universal}). Untargeted only. Not thread-safe (one
 * PyTorch gradient collector per process).
 *
 * @param norm {@link Norm#LINF} or {@link Norm#L2}, the p of the constraint
 * @param epsilon ξ, the bound on ||v||_p (the paper: 10/255 in L∞ for 0..1 pixels)
 * @param delta the fitting stops once the fooling rate on X reaches 1 - δ (default 0.2)
 * @param passes the most passes over X (default 20)
 * @param steps DeepFool's max_iter (default 10)
 * @param overshoot DeepFool's overshoot (default 0.02)
 * @param candidates DeepFool's candidate classes by clean logit (default 10)
 * @param batch b, the images per DeepFool mini-batch (default 16; 1 is the paper's loop)
 * @param seed the seed of the pass order
 */
public record UniversalPerturbation(Norm norm, float epsilon, float delta, int passes, int steps,
        float overshoot, int candidates, int batch, long seed) implements Attack {

    public UniversalPerturbation {
        Objects.requireNonNull(norm, "norm");
        if (norm != Norm.LINF && norm != Norm.L2) {
            throw new IllegalArgumentException("uap supports the linf and l2 norms, got "
                    + norm.id() + "; use linf or l2");
        }
        Require.epsilon(norm, epsilon);
        if (!(delta >= 0f && delta < 1f)) {
            throw new IllegalArgumentException("delta must be in [0, 1) (fitting stops at a fooling"
                    + " rate of 1 - delta), got " + delta);
        }
        Require.atLeast("passes", passes, 1);
        if (steps < 3) {
            throw new IllegalArgumentException("steps (DeepFool's iterations) must be >= 3, got "
                    + steps + ": a DeepFool result counts only if it crossed within steps - 2"
                    + " iterations");
        }
        Require.nonNegative("overshoot", overshoot);
        Require.atLeast("candidates", candidates, 2);
        Require.atLeast("batch", batch, 1);
    }

    /** Told after every pass of a fit, e.g. to show progress. */
    @FunctionalInterface
    public interface PassListener {
        /** Listens to nothing. */
        PassListener NONE = (pass, foolingRate) -> { };

        /**
         * @param pass the passes done, from 1
         * @param foolingRate the fooling rate on the fitting set after that pass
         */
        void pass(int pass, double foolingRate);
    }

    /** A builder with the paper's defaults for everything but the norm and ξ. */
    public static Builder builder(Norm norm, float epsilon) {
        return new Builder(norm, epsilon);
    }

    @Override
    public String name() {
        return "uap";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("norm", norm.id());
        settings.put("epsilon", epsilon);
        settings.put("delta", delta);
        settings.put("passes", passes);
        settings.put("steps", steps);
        settings.put("overshoot", overshoot);
        settings.put("candidates", candidates);
        settings.put("batch", batch);
        settings.put("seed", seed);
        return settings;
    }

    /** The inner minimal-perturbation attack: L2 DeepFool, as LTS4/universal uses for every p. */
    public DeepFool deepFool() {
        return new DeepFool(Norm.L2, steps, overshoot, candidates);
    }

    /**
     * Fits v on a data set.
     *
     * @param data the fitting set X (hold out other images to measure v: {@link
     *     Universal#evaluate})
     * @param batchSize images per forward pass when the fooling rate is measured
     */
    public Universal fit(Classifier model, ImageDataset data, int batchSize, PassListener listener) {
        NoGradientClassifier.requireGradients(model, name());
        InputCheck.requireCompatible(model, data);
        Require.atLeast("batchSize", batchSize, 1);
        try (NDManager scope = NDManager.newBaseManager()) {
            return fit(new CountingClassifier(model), Images.of(data),
                    data.name() + ", " + data.size() + " images", batchSize, listener, scope);
        }
    }

    /** Fits v on a batch [N, C, H, W]. */
    public Universal fit(Classifier model, NDArray x) {
        NoGradientClassifier.requireGradients(model, name());
        InputCheck.requireBatch(model, x);
        try (NDManager scope = x.getManager().newSubManager()) {
            scope.tempAttachAll(x);
            int n = Math.toIntExact(x.getShape().get(0));
            return fit(new CountingClassifier(model), Images.of(x), "a batch of " + n + " images",
                    n, PassListener.NONE, scope);
        }
    }

    /** Fits v on the batch x and returns clip(x + v), judged by the criterion (in-sample). */
    @Override
    public AttackResult run(Classifier model, NDArray x, Criterion criterion) {
        NoGradientClassifier.requireGradients(model, name());
        AttackResult.requireInputs(model, x, criterion);
        if (criterion.targeted()) {
            throw new IllegalArgumentException("uap is untargeted (it moves images off their"
                    + " clean prediction): pass a Misclassification criterion, or use pgd for a"
                    + " target class");
        }
        long start = System.nanoTime();
        CountingClassifier counted = new CountingClassifier(model);
        try (NDManager scope = x.getManager().newSubManager()) {
            scope.tempAttachAll(x);
            int n = Math.toIntExact(x.getShape().get(0));
            Universal universal = fit(counted, Images.of(x), "a batch of " + n + " images", n,
                    PassListener.NONE, scope);
            return AttackResult.bounded(counted, x, universal.apply(x), criterion, norm, epsilon,
                    start);
        }
    }

    private Universal fit(CountingClassifier model, Images images, String source, int batchSize,
            PassListener listener, NDManager scope) {
        Bounds box = model.bounds();
        DeepFool inner = deepFool();
        int n = images.size();
        int[] clean = predictions(model, images, null, box, batchSize, scope);
        NDArray v = scope.zeros(new Shape(1).addAll(model.inputShape()));
        int[] order = new int[n];
        Arrays.setAll(order, i -> i);
        Random random = new Random(seed);
        List<Double> rates = new ArrayList<>();
        long runs = 0;
        long updates = 0;
        double fooling = 0;
        for (int pass = 0; pass < passes && fooling < 1 - delta; pass++) {
            shuffle(order, random);
            for (int from = 0; from < n; from += batch) {
                int[] rows = Arrays.copyOfRange(order, from, Math.min(n, from + batch));
                try (NDManager step = scope.newSubManager()) {
                    NDArray perturbed = box.clip(images.get(step, rows).add(v));
                    int[] predicted = argMax(model.logits(perturbed));
                    long[] open = new long[rows.length];
                    int m = 0;
                    for (int a = 0; a < rows.length; a++) {
                        if (predicted[a] == clean[rows[a]]) {
                            open[m++] = a;
                        }
                    }
                    if (m == 0) {
                        continue;
                    }
                    open = Arrays.copyOf(open, m);
                    int[] labels = new int[m];
                    for (int a = 0; a < m; a++) {
                        labels[a] = clean[rows[(int) open[a]]];
                    }
                    NDArray start = perturbed.get(step.create(open));
                    DeepFool.Counted found = inner.runCounted(model, start,
                            new Misclassification(step.create(labels)));
                    runs += m;
                    NDArray moves = found.result().adversarial(step).sub(start);
                    NDArray updated = null; // arrays of this step until the last is kept
                    for (int a = 0; a < m; a++) {
                        if (found.iterations()[a] < steps - 1) {
                            NDArray sum = moves.get(new NDIndex("{}:{}", a, a + 1))
                                    .add(updated == null ? v : updated);
                            updated = norm.projectPerturbation(sum, epsilon);
                            updates++;
                        }
                    }
                    if (updated != null) {
                        updated.attach(scope);
                        v.close();
                        v = updated;
                    }
                }
            }
            int[] under = predictions(model, images, v, box, batchSize, scope);
            fooling = foolingRate(clean, under);
            rates.add(fooling);
            listener.pass(pass + 1, fooling);
        }
        return new Universal(v.toFloatArray(), model.inputShape(), box, norm, epsilon, settings(),
                model.name(), source, n, rates.stream().mapToDouble(Double::doubleValue).toArray(),
                runs, updates, model.gradients(), model.queries());
    }

    /** The fraction of images whose prediction differs: k̂(x + v) ≠ k̂(x). */
    static double foolingRate(int[] clean, int[] perturbed) {
        int fooled = 0;
        for (int i = 0; i < clean.length; i++) {
            fooled += clean[i] != perturbed[i] ? 1 : 0;
        }
        return (double) fooled / clean.length;
    }

    /**
     * The predictions at clip(x + v) (at x when {@code v} is null) for every image, in batches of
     * {@code batchSize}, each in its own sub-manager of {@code scope}.
     */
    static int[] predictions(Classifier model, Images images, NDArray v, Bounds box, int batchSize,
            NDManager scope) {
        int n = images.size();
        int[] out = new int[n];
        for (int from = 0; from < n; from += batchSize) {
            int to = Math.min(n, from + batchSize);
            int first = from;
            int[] rows = new int[to - from];
            Arrays.setAll(rows, i -> first + i);
            try (NDManager step = scope.newSubManager()) {
                NDArray x = images.get(step, rows);
                NDArray input = v == null ? x : box.clip(x.add(v));
                System.arraycopy(argMax(model.logits(input)), 0, out, from, rows.length);
            }
        }
        return out;
    }

    private static int[] argMax(NDArray logits) {
        return logits.argMax(1).toType(DataType.INT32, false).toIntArray();
    }

    private static void shuffle(int[] order, Random random) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
    }

    /** The images a perturbation is fitted on or measured with, fetched by row. */
    interface Images {

        int size();

        /** The images at {@code rows}, [rows.length, C, H, W], owned by {@code manager}. */
        NDArray get(NDManager manager, int[] rows);

        static Images of(ImageDataset data) {
            return new Images() {
                @Override
                public int size() {
                    return data.size();
                }

                @Override
                public NDArray get(NDManager manager, int[] rows) {
                    return data.select(rows).batch(manager, 0, rows.length).x();
                }
            };
        }

        static Images of(NDArray x) {
            return new Images() {
                @Override
                public int size() {
                    return Math.toIntExact(x.getShape().get(0));
                }

                @Override
                public NDArray get(NDManager manager, int[] rows) {
                    long[] indices = Arrays.stream(rows).asLongStream().toArray();
                    NDArray selected = x.get(manager.create(indices));
                    selected.attach(manager);
                    return selected;
                }
            };
        }
    }

    /** Builds {@link UniversalPerturbation}; every option but the norm and ξ has a default. */
    public static final class Builder {
        private final Norm norm;
        private final float epsilon;
        private float delta = 0.2f;
        private int passes = 20;
        private int steps = 10;
        private float overshoot = 0.02f;
        private int candidates = 10;
        private int batch = 16;
        private long seed;

        private Builder(Norm norm, float epsilon) {
            this.norm = norm;
            this.epsilon = epsilon;
        }

        /** δ: stop at a fooling rate of 1 - δ; default 0.2. */
        public Builder optDelta(float value) {
            delta = value;
            return this;
        }

        /** The most passes over the fitting set; default 20. */
        public Builder optPasses(int value) {
            passes = value;
            return this;
        }

        /** DeepFool's iterations; default 10. */
        public Builder optSteps(int value) {
            steps = value;
            return this;
        }

        /** DeepFool's overshoot; default 0.02. */
        public Builder optOvershoot(float value) {
            overshoot = value;
            return this;
        }

        /** DeepFool's candidate classes; default 10. */
        public Builder optCandidates(int value) {
            candidates = value;
            return this;
        }

        /** Images per DeepFool mini-batch; default 16, 1 for the paper's sequential loop. */
        public Builder optBatch(int value) {
            batch = value;
            return this;
        }

        public Builder optSeed(long value) {
            seed = value;
            return this;
        }

        public UniversalPerturbation build() {
            return new UniversalPerturbation(norm, epsilon, delta, passes, steps, overshoot,
                    candidates, batch, seed);
        }
    }
}
