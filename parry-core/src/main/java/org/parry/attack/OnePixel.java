package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.parry.criterion.Criterion;
import org.parry.model.Bounds;
import org.parry.model.Classifier;
import org.parry.norm.Norm;

/**
 * The one-pixel attack (Su, Vargas and Sakurai, "One pixel attack for fooling deep neural
 * networks", IEEE Transactions on Evolutionary Computation 23(5), 2019, arXiv:1710.08864): change
 * at most {@code pixels} = d pixels, found by differential evolution on the model's probabilities
 * only. Black-box: it calls only {@link Classifier#logits}, never {@link Classifier#lossGradient},
 * so it works on a {@link org.parry.model.NoGradientClassifier}.
 *
 * <p>A candidate is d tuples (row, col, v_1, ..., v_C), one value per channel (grey: C = 1, RGB:
 * C = 3). Population of {@code population} = P candidates per image, DE/rand/1 without crossover:
 * <pre>
 *   init:     row ~ U[0, H), col ~ U[0, W), v_c ~ N(0.5, 0.5) clipped to the box
 *             (the paper's N(128, 127) on 0..255, scaled)
 *   child_i = x_{r1} + F · (x_{r2} - x_{r3}),   r1, r2, r3, i distinct,   F = {@code f}
 *             (rows, columns clipped to the image, values to the box)
 *   replace x_i by child_i if fitness(child_i) < fitness(x_i)          (elitist, per member)
 *   fitness = p_y(x') untargeted (minimize the label's softmax probability),
 *             -p_t(x') targeted (maximize the target's), softmax in double precision
 * </pre>
 * for at most {@code generations} generations. A gene names pixel (floor(row), floor(col)), clamped
 * into the image, by {@link #cell}, the one rounding that fitness and the returned image share.
 * An image stops as soon as a candidate meets the {@link Criterion} (untargeted: argmax ≠ y,
 * targeted: argmax = t), and that candidate is returned (the one of lowest fitness if several
 * do); otherwise the fittest member after the last generation. So the result changes at most d
 * pixel locations (fewer if two genes name the same pixel or a value equals the original), which
 * {@link AttackResult#l0()} counts. Samples the criterion holds for at the clean point are returned
 * unchanged.
 *
 * <p>Defaults are the paper's: d = 1, P = 400, F = 0.5, 100 generations. Where Parry departs:
 * Hyperparticle/one-pixel-attack-keras runs scipy's DE (population multiplier 400 / (5 d), 75
 * iterations, recombination 1, an early stop that checks the best member only, coordinates cut by
 * {@code astype(int)}); Parry keeps the paper's P and generations, stops on any member that
 * succeeds, and clips out-of-range child genes instead of resampling them. Each image draws from
 * its own random stream seeded by the seed, its pixels and its label ({@link SampleSeeds}), so its
 * result does not depend on the batch around it.
 *
 * <p>Cost: one query per image at the clean point, P for the initial population and P per
 * generation while the image is still searched, and the final judgement. All children of all
 * searched images of a generation are evaluated together, in forward passes of at most about 16 MB
 * of input each. Not thread-safe (no classifier is).
 *
 * @param pixels d, the number of pixels changed
 * @param population P, candidates per image (>= 4: DE/rand/1 needs three others)
 * @param generations the most DE generations
 * @param f F, the differential weight, in (0, 2]
 * @param seed the seed of every random draw (Java-side)
 */
public record OnePixel(int pixels, int population, int generations, float f, long seed)
        implements Attack {

    /**
     * The most input values per forward pass (256 Ki floats = 1 MB: 334 MNIST images, 85 CIFAR
     * ones). Not the whole population: on CPU a forward pass gets slower per image as the batch
     * grows past a few hundred images (small-cnn on 28x28, 2 cores: about 1,700 images/s at batch
     * 64, 830 at 1,024, 725 at 4,096; {@code ./bench query}).
     */
    private static final int CHUNK_VALUES = 1 << 18;

    /** Images per forward pass for images of {@code features} values (C·H·W). */
    public static int queryBatch(long features) {
        return (int) Math.max(1, CHUNK_VALUES / features);
    }

    public OnePixel {
        Require.atLeast("pixels", pixels, 1);
        Require.atLeast("population", population, 4);
        Require.atLeast("generations", generations, 1);
        if (!(f > 0f && f <= 2f)) {
            throw new IllegalArgumentException("f (DE's differential weight F) must be in (0, 2], got "
                    + f);
        }
    }

    /** The paper's setting: d pixels, population 400, 100 generations, F = 0.5. */
    public static OnePixel of(int pixels, long seed) {
        return new OnePixel(pixels, 400, 100, 0.5f, seed);
    }

    @Override
    public String name() {
        return "one-pixel";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("norm", Norm.L0.id());
        settings.put("pixels", pixels);
        settings.put("population", population);
        settings.put("generations", generations);
        settings.put("f", f);
        settings.put("seed", seed);
        return settings;
    }

    /**
     * The pixel index a coordinate gene names: floor, clamped to [0, size - 1]. Fitness and the
     * returned image both go through here.
     */
    static int cell(float gene, int size) {
        return Math.min(size - 1, Math.max(0, (int) Math.floor(gene)));
    }

    /**
     * A run with its search trace.
     *
     * @param result what {@link #run} returns
     * @param bestFitness per image, the population's best fitness after initialization (index 0)
     *     and after each generation run for it; empty for images not searched (adversarial at the
     *     clean point)
     */
    public record Traced(AttackResult result, double[][] bestFitness) {}

    @Override
    public AttackResult run(Classifier model, NDArray x, Criterion criterion) {
        return runTraced(model, x, criterion).result();
    }

    /** Like {@link #run}, with the best fitness per generation of each image. */
    public Traced runTraced(Classifier model, NDArray x, Criterion criterion) {
        AttackResult.requireInputs(model, x, criterion);
        long start = System.nanoTime();
        CountingClassifier counted = new CountingClassifier(model);
        try (NDManager scope = x.getManager().newSubManager()) {
            NDList held = Batches.distinct(criterion.arrays());
            NDList attached = new NDList(x);
            attached.addAll(held);
            scope.tempAttachAll(Batches.distinct(attached));
            Search search = new Search(this, counted, x, criterion, held);
            search.run(scope);
            NDArray adversarial = scope.create(search.result, x.getShape()).toType(x.getDataType(), false);
            return new Traced(AttackResult.unbounded(counted, x, adversarial, criterion, start)
                    .withSampleQueries(search.queries), search.trace);
        }
    }

    /** The state of one run: per image its population, fitness and random stream. */
    private static final class Search {
        private final OnePixel attack;
        private final CountingClassifier model;
        private final Criterion criterion;
        private final NDList criterionArrays;
        private final Bounds box;
        private final int channels;
        private final int height;
        private final int width;
        private final int features;
        private final int genes;
        private final int[] labels;
        private final float[] clean;
        final float[] result;
        final double[][] trace;
        private final boolean[] done;
        /** Per image, the queries its search spent (whole generations: one per member). */
        final int[] queries;
        private final float[][][] members;
        private final double[][] fitness;
        private final SplittableRandom[] random;

        Search(OnePixel attack, CountingClassifier model, NDArray x, Criterion criterion,
                NDList criterionArrays) {
            this.attack = attack;
            this.model = model;
            this.criterion = criterion;
            this.criterionArrays = criterionArrays;
            this.box = model.bounds();
            Shape shape = x.getShape();
            this.channels = Math.toIntExact(shape.get(1));
            this.height = Math.toIntExact(shape.get(2));
            this.width = Math.toIntExact(shape.get(3));
            this.features = channels * height * width;
            this.genes = attack.pixels() * (2 + channels);
            this.labels = criterion.labels().toType(DataType.INT32, false).toIntArray();
            this.clean = x.toType(DataType.FLOAT32, false).toFloatArray();
            this.result = clean.clone();
            int n = labels.length;
            this.trace = new double[n][0];
            this.done = new boolean[n];
            this.queries = new int[n];
            this.members = new float[n][][];
            this.fitness = new double[n][];
            this.random = new SplittableRandom[n];
        }

        void run(NDManager scope) {
            int n = labels.length;
            int[] all = new int[n];
            Arrays.setAll(all, i -> i);
            Outcome atClean = query(scope, all, 1, (row, member, out, offset) ->
                    System.arraycopy(clean, row * features, out, offset, features));
            for (int i = 0; i < n; i++) {
                done[i] = atClean.adversarial()[i];
            }
            int[] rows = remaining();
            for (int row : rows) {
                random[row] = new SplittableRandom(SampleSeeds.of(attack.seed(), 0, clean,
                        row * features, features, labels[row]));
                members[row] = new float[attack.population()][];
                for (int m = 0; m < attack.population(); m++) {
                    members[row][m] = initial(random[row]);
                }
            }
            Outcome initial = evaluate(scope, rows, members);
            for (int a = 0; a < rows.length; a++) {
                int row = rows[a];
                fitness[row] = Arrays.copyOfRange(initial.fitness(), a * attack.population(),
                        (a + 1) * attack.population());
                trace[row] = new double[] {min(fitness[row])};
                finish(row, members[row], initial, a);
            }
            for (int generation = 0; generation < attack.generations(); generation++) {
                rows = remaining();
                if (rows.length == 0) {
                    break;
                }
                float[][][] children = new float[labels.length][][];
                for (int row : rows) {
                    children[row] = new float[attack.population()][];
                    for (int m = 0; m < attack.population(); m++) {
                        children[row][m] = mutate(members[row], m, random[row]);
                    }
                }
                Outcome outcome = evaluate(scope, rows, children);
                for (int a = 0; a < rows.length; a++) {
                    int row = rows[a];
                    for (int m = 0; m < attack.population(); m++) {
                        double childFitness = outcome.fitness()[a * attack.population() + m];
                        if (childFitness < fitness[row][m]) {
                            members[row][m] = children[row][m];
                            fitness[row][m] = childFitness;
                        }
                    }
                    double[] extended = Arrays.copyOf(trace[row], trace[row].length + 1);
                    extended[extended.length - 1] = min(fitness[row]);
                    trace[row] = extended;
                    finish(row, children[row], outcome, a);
                }
            }
            for (int row : remaining()) {
                int best = 0;
                for (int m = 1; m < attack.population(); m++) {
                    best = fitness[row][m] < fitness[row][best] ? m : best;
                }
                paint(row, members[row][best], result, row * features);
            }
        }

        /**
         * Ends the search of image {@code row} if one of the candidates just evaluated meets the
         * criterion, keeping the one of lowest fitness.
         */
        private void finish(int row, float[][] candidates, Outcome outcome, int a) {
            int best = -1;
            for (int m = 0; m < attack.population(); m++) {
                int k = a * attack.population() + m;
                if (outcome.adversarial()[k]
                        && (best < 0 || outcome.fitness()[k] < outcome.fitness()[a * attack.population() + best])) {
                    best = m;
                }
            }
            if (best >= 0) {
                done[row] = true;
                paint(row, candidates[best], result, row * features);
            }
        }

        /** A random candidate: coordinates uniform over the image, values N(0.5, 0.5) in the box. */
        private float[] initial(SplittableRandom stream) {
            float[] genome = new float[genes];
            for (int p = 0; p < attack.pixels(); p++) {
                int at = p * (2 + channels);
                genome[at] = (float) (stream.nextDouble() * height);
                genome[at + 1] = (float) (stream.nextDouble() * width);
                for (int c = 0; c < channels; c++) {
                    genome[at + 2 + c] = box.clip((float) (0.5 + 0.5 * stream.nextGaussian()));
                }
            }
            return genome;
        }

        /** DE/rand/1: x_{r1} + F (x_{r2} - x_{r3}) with r1, r2, r3, i distinct, genes clipped. */
        private float[] mutate(float[][] population, int i, SplittableRandom stream) {
            int size = population.length;
            int r1;
            int r2;
            int r3;
            do {
                r1 = stream.nextInt(size);
            } while (r1 == i);
            do {
                r2 = stream.nextInt(size);
            } while (r2 == i || r2 == r1);
            do {
                r3 = stream.nextInt(size);
            } while (r3 == i || r3 == r1 || r3 == r2);
            float[] child = new float[genes];
            for (int g = 0; g < genes; g++) {
                child[g] = population[r1][g] + attack.f() * (population[r2][g] - population[r3][g]);
            }
            for (int p = 0; p < attack.pixels(); p++) {
                int at = p * (2 + channels);
                child[at] = Math.min(Math.max(child[at], 0f), height);
                child[at + 1] = Math.min(Math.max(child[at + 1], 0f), width);
                for (int c = 0; c < channels; c++) {
                    child[at + 2 + c] = box.clip(child[at + 2 + c]);
                }
            }
            return child;
        }

        /** The clean image {@code row} with the candidate's pixels set, written to out[offset...]. */
        private void paint(int row, float[] genome, float[] out, int offset) {
            System.arraycopy(clean, row * features, out, offset, features);
            int plane = height * width;
            for (int p = 0; p < attack.pixels(); p++) {
                int at = p * (2 + channels);
                int pixel = cell(genome[at], height) * width + cell(genome[at + 1], width);
                for (int c = 0; c < channels; c++) {
                    out[offset + c * plane + pixel] = genome[at + 2 + c];
                }
            }
        }

        /** Fitness and criterion of every candidate of every image in {@code rows}, row-major. */
        private Outcome evaluate(NDManager scope, int[] rows, float[][][] candidates) {
            return query(scope, rows, attack.population(),
                    (row, member, out, offset) -> paint(row, candidates[row][member], out, offset));
        }

        /** Writes candidate {@code member} of image {@code row} into out[offset...]. */
        @FunctionalInterface
        private interface Painter {
            void paint(int row, int member, float[] out, int offset);
        }

        /** Fitness (to minimize) and criterion at a set of points, one per (row, member). */
        private record Outcome(double[] fitness, boolean[] adversarial) {}

        /**
         * Queries the model at {@code perRow} points of each image in {@code rows}, in forward
         * passes of at most {@link #CHUNK_VALUES} input values, each in its own sub-manager.
         */
        private Outcome query(NDManager scope, int[] rows, int perRow, Painter painter) {
            int total = rows.length * perRow;
            double[] fitnessOut = new double[total];
            boolean[] adversarialOut = new boolean[total];
            int chunk = queryBatch(features);
            for (int from = 0; from < total; from += chunk) {
                int to = Math.min(total, from + chunk);
                float[] points = new float[Math.multiplyExact(to - from, features)];
                long[] owners = new long[to - from];
                for (int k = from; k < to; k++) {
                    int row = rows[k / perRow];
                    owners[k - from] = row;
                    queries[row]++;
                    painter.paint(row, k % perRow, points, (k - from) * features);
                }
                try (NDManager step = scope.newSubManager()) {
                    // While the step lives, the criterion's arrays belong to it, so whatever
                    // subset() and isAdversarial() derive from them is freed with the step.
                    step.tempAttachAll(criterionArrays);
                    NDArray batch = step.create(points, new Shape(to - from, channels, height, width));
                    NDArray logits = model.logits(batch);
                    Criterion active = criterion.subset(step.create(owners));
                    boolean[] adversarial = active.isAdversarial(logits).toBooleanArray();
                    double[] probabilities = logits.toType(DataType.FLOAT64, false).softmax(1)
                            .toDoubleArray();
                    int classes = probabilities.length / (to - from);
                    for (int k = from; k < to; k++) {
                        int label = labels[(int) owners[k - from]];
                        double p = probabilities[(k - from) * classes + label];
                        fitnessOut[k] = criterion.targeted() ? -p : p;
                        adversarialOut[k] = adversarial[k - from];
                    }
                }
            }
            return new Outcome(fitnessOut, adversarialOut);
        }

        private int[] remaining() {
            int[] rows = new int[done.length];
            int count = 0;
            for (int i = 0; i < done.length; i++) {
                if (!done[i]) {
                    rows[count++] = i;
                }
            }
            return Arrays.copyOf(rows, count);
        }

        private static double min(double[] values) {
            double min = Double.POSITIVE_INFINITY;
            for (double value : values) {
                min = Math.min(min, value);
            }
            return min;
        }
    }
}
