package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.parry.criterion.Criterion;
import org.parry.model.Classifier;
import org.parry.norm.Norm;

/**
 * Square attack (Andriushchenko, Croce, Flammarion and Hein, "Square Attack: a query-efficient
 * black-box adversarial attack via random search", ECCV 2020, arXiv:1912.00049), as AutoAttack
 * runs it (fra31/auto-attack, square.py). Score-based and black-box: it calls only {@link
 * Classifier#logits}, so it works on a {@link org.parry.model.NoGradientClassifier} and spends no
 * gradient.
 *
 * <p>Random search on the margin loss L = z_y − max_{j≠y} z_j (targeted: max_{j≠t} z_j − z_t),
 * minimized per sample:
 * <ol>
 *   <li>Start. L∞: vertical stripes x + ε·s, one sign s ∈ {−1, +1} per (channel, column). L2: a
 *       5 × 5 grid of centred double squares (two rectangles of opposite sign whose values fall off
 *       as 1/r² from their centres, random orientation, one random sign per channel), rescaled to
 *       ‖δ‖₂ = ε. Both clipped to the model's box.
 *   <li>Iteration i. A fraction p_i of the pixels gives the square side h = round(√(p_i · H · W)).
 *       L∞ (h clipped to [1, min(H, W) − 1]): a random h × h window of every channel is set to
 *       the vertex of the ball, Proj(x_best + 2ε · s_c) = x ± ε, one random sign per channel.
 *       L2 (h odd, >= 3): the perturbation of a second random window moves into the first, which
 *       also gets a new double square, and the whole perturbation is rescaled to ‖δ‖₂ = ε (see
 *       {@link SquarePatterns#l2Propose}). The candidate, projected onto ball ∩ box, replaces the
 *       sample's current point if its loss is lower or if it meets the criterion.
 *   <li>p_i = p_init / 2^k, k = the number of the thresholds 10, 50, 200, 500, 1000, 2000, 4000,
 *       6000, 8000 that i exceeds: AutoAttack's raw-iteration schedule (resc_schedule=False), so a
 *       run with fewer steps is a prefix of a run with more.
 * </ol>
 * Only the samples not yet adversarial are queried; a sample leaves the search once it meets the
 * criterion, and the search ends when every sample has. Samples adversarial at the clean point
 * are returned unchanged, and ε = 0 returns every clean point without searching. Restarts run on
 * the samples still robust, from a fresh start. Cost per sample: one query at the clean point, per
 * restart at most steps + 1 queries, and the final judgement of {@link AttackResult#bounded}.
 * Defaults (AutoAttack "standard"): 5000 steps (= queries), p_init = 0.8, 1 restart.
 *
 * <p>Where Parry departs from AutoAttack's code, and why:
 * <ul>
 *   <li>Each sample draws its own window positions and signs (as the paper's code does; AutoAttack
 *       draws one window and one sign pattern per iteration for the whole batch). A sample's random
 *       stream is seeded from the seed, the restart, its pixels and its label, so its result does
 *       not depend on the batch it is attacked in, nor on its position there.
 *   <li>Window positions are uniform over all H − h + 1 positions (AutoAttack's
 *       {@code random_int(0, h - s)} never reaches the last one, so its squares never touch the last
 *       row and column); the L∞ side is clipped to min(H, W) − 1 as in the paper's code.
 *   <li>Success is the {@link Criterion} (argmax), AutoAttack's is margin <= 0: they differ only on
 *       exact ties.
 *   <li>Targeted: the margin above is minimized (AutoAttack's targeted Square minimizes the
 *       target's cross-entropy and uses the margin only for success).
 *   <li>L2 start: where AutoAttack's grid of squares of side H / 5 would fail (images smaller
 *       than 5 pixels, some non-square images), the side is at least 1 and squares are cut at
 *       the border.
 * </ul>
 * The search state (clean and best points, losses) lives on the Java side; each iteration
 * builds one batch of candidates in its own NDManager, so memory does not grow with the steps.
 * Not thread-safe (no classifier is).
 *
 * @param norm {@link Norm#LINF} or {@link Norm#L2}
 * @param epsilon the radius of the ball
 * @param steps random-search iterations per restart (AutoAttack's n_queries)
 * @param pInit the initial fraction of pixels a square covers, in (0, 1]
 * @param restarts searches from a fresh start, on the samples still robust
 * @param seed the seed of every random draw (Java-side, never PyTorch's generator)
 */
public record Square(Norm norm, float epsilon, int steps, float pInit, int restarts, long seed)
        implements Attack {

    /** Iterations after which p halves (AutoAttack's p_selection without rescaling). */
    private static final int[] HALVINGS = {10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000};

    public Square {
        Objects.requireNonNull(norm, "norm");
        if (norm != Norm.LINF && norm != Norm.L2) {
            throw new IllegalArgumentException("square supports the linf and l2 norms, got "
                    + norm.id() + "; use linf or l2");
        }
        Require.epsilon(norm, epsilon);
        Require.atLeast("steps", steps, 1);
        if (!(pInit > 0f && pInit <= 1f)) {
            throw new IllegalArgumentException("pInit must be in (0, 1], got " + pInit);
        }
        Require.atLeast("restarts", restarts, 1);
    }

    /** AutoAttack's setting: 5000 steps, p_init = 0.8, 1 restart. */
    public static Square of(Norm norm, float epsilon, long seed) {
        return new Square(norm, epsilon, 5000, 0.8f, 1, seed);
    }

    @Override
    public String name() {
        return "square";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("norm", norm.id());
        settings.put("epsilon", epsilon);
        settings.put("steps", steps);
        settings.put("pInit", pInit);
        settings.put("restarts", restarts);
        settings.put("seed", seed);
        return settings;
    }

    /** The fraction of pixels a square covers at iteration {@code iteration} (0-based). */
    static double fraction(float pInit, int iteration) {
        int halvings = 0;
        for (int threshold : HALVINGS) {
            halvings += iteration > threshold ? 1 : 0;
        }
        return pInit / (double) (1 << halvings);
    }

    @Override
    public AttackResult run(Classifier model, NDArray x, Criterion criterion) {
        AttackResult.requireInputs(model, x, criterion);
        long start = System.nanoTime();
        CountingClassifier counted = new CountingClassifier(model);
        try (NDManager scope = x.getManager().newSubManager()) {
            NDList held = Batches.distinct(criterion.arrays());
            NDList attached = new NDList(x);
            attached.addAll(held);
            scope.tempAttachAll(Batches.distinct(attached));
            Search search = new Search(this, counted, x, criterion, held);
            search.dropCleanSuccesses(scope);
            for (int restart = 0; restart < restarts && epsilon > 0f && search.remaining().length > 0;
                    restart++) {
                search.restart(scope, restart);
            }
            NDArray adversarial = scope.create(search.best, x.getShape()).toType(x.getDataType(), false);
            return AttackResult.bounded(counted, x, adversarial, criterion, norm, epsilon, start)
                    .withSampleQueries(search.queries);
        }
    }

    /** Losses and criterion at the queried points, one per queried sample. */
    private record Outcome(double[] loss, boolean[] adversarial) {}

    /** The per-sample state of one run: clean and best points, best losses, who is done. */
    private static final class Search {
        private final Square attack;
        private final CountingClassifier model;
        private final Criterion criterion;
        private final NDList criterionArrays;
        private final DataType dataType;
        private final int channels;
        private final int height;
        private final int width;
        private final int features;
        private final int[] labels;
        private final float[] clean;
        final float[] best;
        private final double[] bestLoss;
        private final boolean[] done;
        /** Per sample, the queries its search spent so far. */
        final int[] queries;
        private final SquarePatterns patterns;

        Search(Square attack, CountingClassifier model, NDArray x, Criterion criterion,
                NDList criterionArrays) {
            this.attack = attack;
            this.model = model;
            this.criterion = criterion;
            this.criterionArrays = criterionArrays;
            Shape shape = x.getShape();
            this.dataType = x.getDataType();
            this.channels = Math.toIntExact(shape.get(1));
            this.height = Math.toIntExact(shape.get(2));
            this.width = Math.toIntExact(shape.get(3));
            this.features = channels * height * width;
            this.labels = criterion.labels().toType(DataType.INT32, false).toIntArray();
            this.clean = x.toType(DataType.FLOAT32, false).toFloatArray();
            this.best = clean.clone();
            this.bestLoss = new double[labels.length];
            this.done = new boolean[labels.length];
            this.queries = new int[labels.length];
            this.patterns = new SquarePatterns(channels, height, width, attack.epsilon(),
                    model.bounds());
        }

        /** Samples the criterion already holds for keep their clean point and are not attacked. */
        void dropCleanSuccesses(NDManager scope) {
            int[] rows = remaining();
            try (NDManager step = scope.newSubManager()) {
                Outcome outcome = query(step, rows, clean);
                for (int a = 0; a < rows.length; a++) {
                    done[rows[a]] = outcome.adversarial()[a];
                }
            }
        }

        /** One search from a fresh start over the samples not yet adversarial. */
        void restart(NDManager scope, int restart) {
            int[] rows = remaining();
            SplittableRandom[] random = new SplittableRandom[labels.length];
            float[] starts = new float[Math.multiplyExact(rows.length, features)];
            for (int a = 0; a < rows.length; a++) {
                int row = rows[a];
                random[row] = new SplittableRandom(streamSeed(row, restart));
                if (attack.norm() == Norm.LINF) {
                    patterns.linfStart(clean, row * features, random[row], starts, a * features);
                } else {
                    patterns.l2Start(clean, row * features, random[row], starts, a * features);
                }
            }
            try (NDManager step = scope.newSubManager()) {
                Outcome outcome = query(step, rows, starts);
                for (int a = 0; a < rows.length; a++) {
                    accept(rows[a], starts, a, outcome, true);
                }
            }
            for (int iteration = 0; iteration < attack.steps(); iteration++) {
                rows = remaining();
                if (rows.length == 0) {
                    return;
                }
                double p = fraction(attack.pInit(), iteration);
                float[] candidates = new float[Math.multiplyExact(rows.length, features)];
                if (attack.norm() == Norm.LINF) {
                    int side = patterns.linfSide(p);
                    for (int a = 0; a < rows.length; a++) {
                        patterns.linfPropose(clean, best, rows[a] * features, side, random[rows[a]],
                                candidates, a * features);
                    }
                } else {
                    int side = patterns.l2Side(p);
                    for (int a = 0; a < rows.length; a++) {
                        patterns.l2Propose(clean, best, rows[a] * features, side, random[rows[a]],
                                candidates, a * features);
                    }
                }
                try (NDManager step = scope.newSubManager()) {
                    Outcome outcome = query(step, rows, candidates);
                    for (int a = 0; a < rows.length; a++) {
                        accept(rows[a], candidates, a, outcome, false);
                    }
                }
            }
        }

        /** Keeps a candidate if it is adversarial or lowers the loss (always, for a start). */
        private void accept(int row, float[] candidates, int a, Outcome outcome, boolean always) {
            double loss = outcome.loss()[a];
            boolean adversarial = outcome.adversarial()[a];
            if (always || adversarial || loss < bestLoss[row]) {
                System.arraycopy(candidates, a * features, best, row * features, features);
                bestLoss[row] = loss;
                done[row] = adversarial;
            }
        }

        /** Queries the model at {@code points} (one flat sample per row), in {@code step}. */
        private Outcome query(NDManager step, int[] rows, float[] points) {
            // While the step lives, the criterion's arrays belong to it, so whatever subset() and
            // isAdversarial() derive from them is freed with the step.
            step.tempAttachAll(criterionArrays);
            NDArray batch = step.create(points, new Shape(rows.length, channels, height, width));
            if (dataType != DataType.FLOAT32) {
                batch = batch.toType(dataType, false);
            }
            NDArray logits = model.logits(batch);
            long[] indices = new long[rows.length];
            for (int a = 0; a < rows.length; a++) {
                indices[a] = rows[a];
                queries[rows[a]]++;
            }
            Criterion active = criterion.subset(step.create(indices));
            boolean[] adversarial = active.isAdversarial(logits).toBooleanArray();
            float[] z = logits.toType(DataType.FLOAT32, false).toFloatArray();
            int classes = z.length / Math.max(rows.length, 1);
            double[] loss = new double[rows.length];
            for (int a = 0; a < rows.length; a++) {
                int label = labels[rows[a]];
                double own = z[a * classes + label];
                double other = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < classes; k++) {
                    if (k != label) {
                        other = Math.max(other, z[a * classes + k]);
                    }
                }
                loss[a] = criterion.targeted() ? other - own : own - other;
            }
            return new Outcome(loss, adversarial);
        }

        /** The samples not yet adversarial. */
        int[] remaining() {
            int[] rows = new int[done.length];
            int count = 0;
            for (int i = 0; i < done.length; i++) {
                if (!done[i]) {
                    rows[count++] = i;
                }
            }
            return Arrays.copyOf(rows, count);
        }

        /** A stream per (seed, restart, sample content), independent of the batch around it. */
        private long streamSeed(int row, int restart) {
            return SampleSeeds.of(attack.seed(), restart, clean, row * features, features, labels[row]);
        }
    }
}
