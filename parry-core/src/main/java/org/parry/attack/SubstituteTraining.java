package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import org.parry.Versions;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.BlockClassifier;
import org.parry.model.Bounds;
import org.parry.model.Classifier;
import org.parry.model.InputCheck;
import org.parry.model.ModelCard;
import org.parry.model.Normalization;
import org.parry.model.SavedModel;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.model.zoo.ModelZoo;
import org.parry.train.StandardObjective;
import org.parry.train.Trainer;
import org.parry.train.TrainingListener;
import org.parry.train.TrainingSettings;

/**
 * Substitute training with Jacobian-based dataset augmentation (Papernot, McDaniel, Goodfellow,
 * Jha, Celik and Swami, "Practical black-box attacks against machine learning", ASIA CCS 2017,
 * algorithm 1): a local model F learns to imitate an oracle O that answers only labels, from a
 * small initial set S_0 that grows along F's Jacobian:
 * <pre>
 *   for ρ = 0 .. rounds-1:
 *     label the new points of S_ρ with O (one query each), train F on (S_ρ, O(S_ρ))
 *     S_{ρ+1} = S_ρ ∪ { clip(x + λ_ρ · sign(∇_x log softmax(F(x))_{O(x)})) : x ∈ S_ρ }
 *   λ_ρ = λ · (-1)^⌊ρ/τ⌋   (periodic step size; τ = 0: λ_ρ = λ)
 * </pre>
 * Adversarial examples crafted on F then transfer to O ({@link TransferAttack}). Defaults are the
 * paper's: λ = 0.1, 6 rounds, 10 epochs per round, τ = 3, and the architecture {@code small-cnn}
 * (two convolutions and two dense layers, the scale of the paper's MNIST substitutes).
 *
 * <p>Choices, and why:
 * <ul>
 *   <li>The Jacobian row is that of F's log-softmax for O(x): the paper differentiates F's
 *       softmax output p_{O(x)}, and ∇p = p · ∇log p with p > 0, so the sign is the paper's,
 *       without the underflow of ∇p on confidently classified points (where sign(0) = 0 would not
 *       move them at all). The raw logit z_{O(x)}, which some reference code uses, ignores the
 *       other classes and gives another direction.
 *   <li>The oracle sees 8-bit images, as a deployed model would: every new point is rounded to
 *       the 1/255 grid before it is labelled (so a step of λ = 0.1 is 25 or 26 grey levels), and
 *       the substitute trains on exactly the points that were labelled.
 *   <li>Each distinct point is labelled once: points already in the set (a step that every
 *       clip undid, or two steps that met) are not asked again, so the oracle's queries equal
 *       |S_final|. The last round's augmentation would be neither labelled nor trained on, so it
 *       is not made: rounds = 6 labels 150 · 2^5 = 4,800 points from 150.
 *   <li>Reservoir sampling (the paper's refinement, section 6): after {@code reservoirAfter}
 *       doublings, each augmentation steps from only {@code reservoirSize} points of the set,
 *       drawn uniformly without replacement with the run's seed, so the queries grow by κ per
 *       round instead of doubling.
 *   <li>F is trained on each round's set by Parry's {@link Trainer}, continued from the previous
 *       round's weights (or, {@code fromScratch}, from a fresh initialization each round).
 * </ul>
 * Only the oracle's {@link Classifier#logits} is called, and only its argmax is used: it may be
 * query-only. Measuring the agreement on the caller's held-out images costs one pass of the
 * oracle over them at the start; that is the experimenter's measurement, not the attacker's, and
 * is not counted in {@link Substitute#queries()}. Not thread-safe.
 *
 * @param architecture the substitute's model-zoo architecture
 * @param options its width, activation and first stride
 * @param rounds ρ_max, the number of training rounds, >= 1
 * @param lambda λ, the augmentation step in pixel units, > 0
 * @param tau τ, the period of the step's sign flips (0: no flips)
 * @param reservoirAfter σ, the number of doubling augmentations before reservoir sampling starts
 *     (-1: never)
 * @param reservoirSize κ, the points stepped from per augmentation once reservoir sampling runs
 * @param fromScratch whether each round trains a freshly initialized substitute
 * @param training the training of each round: epochs per round, batch size, optimizer, seed
 */
public record SubstituteTraining(String architecture, ArchitectureOptions options, int rounds,
        float lambda, int tau, int reservoirAfter, int reservoirSize, boolean fromScratch,
        TrainingSettings training) {

    /** Images per batch of the augmentation's gradients and of the agreement's predictions. */
    private static final int BATCH = 256;

    public SubstituteTraining {
        ModelZoo.get(architecture);
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(training, "training");
        Require.atLeast("rounds", rounds, 1);
        Require.positive("lambda", lambda);
        if (lambda > 1f) {
            throw new IllegalArgumentException("lambda " + lambda + " is out of range: pixels are"
                    + " in [0, 1], so use a step in (0, 1] (the paper's is 0.1)");
        }
        Require.atLeast("tau", tau, 0);
        Require.atLeast("reservoir after", reservoirAfter, -1);
        Require.atLeast("reservoir size", reservoirSize, 1);
    }

    /** A builder with the paper's defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Hears about each finished round, e.g. to print a table as it grows. */
    @FunctionalInterface
    public interface Listener {

        Listener NONE = round -> {};

        void onRound(SubstituteRound round);
    }

    /** The signed step of the augmentation made after round {@code round}. */
    public float step(int round) {
        return tau == 0 || (round / tau) % 2 == 0 ? lambda : -lambda;
    }

    /** Every setting, for the model card and reports. */
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("architecture", architecture);
        settings.put("rounds", rounds);
        settings.put("lambda", lambda);
        settings.put("tau", tau);
        settings.put("reservoir_after", reservoirAfter);
        settings.put("reservoir_size", reservoirSize);
        settings.put("from_scratch", fromScratch);
        settings.put("epochs_per_round", training.epochs());
        return settings;
    }

    /**
     * Trains a substitute of {@code oracle}.
     *
     * @param oracle the attacked model; only its logits' argmax is used
     * @param initial S_0, images held out from those to be attacked (their labels are not used:
     *     the oracle labels them)
     * @param heldOut images on which each round measures the agreement with the oracle
     * @throws IllegalArgumentException for data that do not fit the oracle, or an oracle whose
     *     inputs are not in [0, 1]
     */
    public Substitute train(Classifier oracle, ImageDataset initial, ImageDataset heldOut,
            Listener listener) {
        InputCheck.requireCompatible(oracle, initial);
        InputCheck.requireCompatible(oracle, heldOut);
        if (!oracle.bounds().equals(Bounds.UNIT)) {
            throw new IllegalArgumentException("oracle '" + oracle.name() + "' takes inputs in ["
                    + oracle.bounds().lower() + ", " + oracle.bounds().upper() + "], but substitute"
                    + " training works on 8-bit images in [0, 1]; wrap the oracle so that it takes"
                    + " pixels in [0, 1]");
        }
        int[] oracleHeldOut = predictions(oracle, heldOut);
        CountingClassifier counted = new CountingClassifier(oracle);
        ModelCard card = card(oracle, initial, null);
        LabelledSet set = new LabelledSet(initial, card.classNames());
        List<SubstituteRound> trace = new ArrayList<>();
        Random reservoir = new Random(training.seed());
        BlockClassifier model = SavedModel.create(card, training.seed());
        try {
            set.addAndLabel(counted, initial);
            float lambdaUsed = 0f;
            for (int round = 0; round < rounds; round++) {
                if (round > 0) {
                    lambdaUsed = step(round - 1);
                    augment(model, counted, set, lambdaUsed,
                            reservoirAfter >= 0 && round - 1 >= reservoirAfter ? reservoir : null);
                    if (fromScratch) {
                        model.close();
                        model = SavedModel.create(card, training.seed() + round);
                    }
                }
                ImageDataset data = set.dataset();
                new Trainer(training.toBuilder().optSeed(training.seed() + round).build(),
                        new StandardObjective(), TrainingListener.NONE).fit(model, data, null, false);
                int[] substitute = predictions(model, heldOut);
                SubstituteRound done = new SubstituteRound(round, lambdaUsed, data.size(),
                        counted.queries(), fraction(substitute, oracleHeldOut),
                        fraction(substitute, heldOut.labels()));
                trace.add(done);
                listener.onRound(done);
            }
            ModelCard trained = finished(card(oracle, initial, set.dataset().sha256()), oracle,
                    set.size(), trace, counted.queries(), heldOut.size());
            return new Substitute(model, trained, trace, counted.queries());
        } catch (IOException e) {
            model.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * Adds clip(x + λ · sign(∇ log softmax(F(x))_{O(x)})) for every x of the set, or for κ of
     * them drawn by {@code reservoir}, and labels the new distinct points.
     */
    private void augment(BlockClassifier model, CountingClassifier oracle, LabelledSet set,
            float step, Random reservoir) {
        ImageDataset current = set.dataset();
        int[] from = reservoir == null ? allIndices(current.size())
                : sample(current.size(), reservoirSize, reservoir);
        ImageDataset chosen = current.select(from);
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int b = 0; b < chosen.numBatches(BATCH); b++) {
                try (NDManager scope = manager.newSubManager()) {
                    Batch batch = chosen.batchNumber(scope, b, BATCH);
                    NDArray gradient = model.lossGradient(batch.x(), batch.y(),
                            CrossEntropyLoss.get().negate()).gradient();
                    NDArray moved = Bounds.UNIT.clip(batch.x().add(gradient.sign().mul(step)));
                    set.addAndLabel(oracle, moved);
                }
            }
        }
    }

    private static int[] allIndices(int n) {
        int[] all = new int[n];
        Arrays.setAll(all, i -> i);
        return all;
    }

    /** {@code k} of {@code n} indices, uniformly without replacement (partial Fisher-Yates). */
    private static int[] sample(int n, int k, Random random) {
        int[] order = allIndices(n);
        int take = Math.min(k, n);
        for (int i = 0; i < take; i++) {
            int j = i + random.nextInt(n - i);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return Arrays.copyOf(order, take);
    }

    /** The model's predicted class for every image, in batches. */
    private static int[] predictions(Classifier model, ImageDataset data) {
        int[] predicted = new int[data.size()];
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int b = 0; b < data.numBatches(BATCH); b++) {
                try (NDManager scope = manager.newSubManager()) {
                    int[] batch = model.logits(data.batchNumber(scope, b, BATCH).x()).argMax(1)
                            .toType(DataType.INT32, false).toIntArray();
                    System.arraycopy(batch, 0, predicted, b * BATCH, batch.length);
                }
            }
        }
        return predicted;
    }

    private static double fraction(int[] a, int[] b) {
        int same = 0;
        for (int i = 0; i < a.length; i++) {
            same += a[i] == b[i] ? 1 : 0;
        }
        return (double) same / a.length;
    }

    /**
     * The substitute's card: architecture, the oracle's classes, S_0's normalization, and the
     * SHA-256 of the final labelled set once it is known.
     */
    private ModelCard card(Classifier oracle, ImageDataset initial, String setSha256) {
        Shape shape = oracle.inputShape();
        List<String> classNames = initial.numClasses() == oracle.numClasses()
                ? initial.classNames()
                : java.util.stream.IntStream.range(0, oracle.numClasses())
                        .mapToObj(c -> "class-" + c).toList();
        Map<String, Object> trainingMap = new LinkedHashMap<>(
                SavedModel.json().convertValue(training, Map.class));
        trainingMap.put("objective", "substitute");
        return new ModelCard(ModelCard.FORMAT, architecture, options.width(),
                options.activation().id(), options.firstStride(),
                new int[] {(int) shape.get(0), (int) shape.get(1), (int) shape.get(2)},
                classNames, Normalization.of(initial), "substitute set of '" + oracle.name()
                        + "' from " + initial.name(), setSha256, trainingMap, Map.of(),
                training.seed(), Versions.parry(), Instant.now().toString());
    }

    /** The card with the oracle, the settings, the trace and the final metrics. */
    private ModelCard finished(ModelCard card, Classifier oracle, int finalSize,
            List<SubstituteRound> trace, long queries, int heldOut) {
        Map<String, Object> substitute = new LinkedHashMap<>();
        substitute.put("method", "Jacobian-based dataset augmentation (Papernot et al. 2017)");
        substitute.put("oracle", oracle.name());
        substitute.putAll(settings());
        substitute.put("initial_size", trace.get(0).setSize());
        substitute.put("final_size", finalSize);
        substitute.put("queries", queries);
        substitute.put("held_out", heldOut);
        substitute.put("trace", trace.stream()
                .map(round -> SavedModel.json().convertValue(round, Map.class)).toList());
        SubstituteRound last = trace.get(trace.size() - 1);
        return card.withTraining("substitute", substitute)
                .withMetrics(Map.of("oracle_agreement", last.agreement(),
                        "held_out_accuracy", last.accuracy(), "oracle_queries", (double) queries,
                        "held_out_size", (double) heldOut));
    }

    /**
     * The growing set S of distinct 8-bit points and their oracle labels. A point's label is
     * asked for once, when the point first enters the set.
     */
    private static final class LabelledSet {

        private final String name;
        private final int channels;
        private final int height;
        private final int width;
        private final int imageSize;
        private final List<String> classNames;
        private final Set<ByteBuffer> seen = new HashSet<>();
        private byte[] pixels = new byte[0];
        private int[] labels = new int[0];
        private int size;

        /** An empty set of images shaped like {@code initial}'s, labels among {@code classNames}. */
        LabelledSet(ImageDataset initial, List<String> classNames) {
            this.name = "jacobian-augmented " + initial.name();
            this.channels = initial.channels();
            this.height = initial.height();
            this.width = initial.width();
            this.imageSize = channels * height * width;
            this.classNames = classNames;
        }

        /** Adds the images of {@code data} that are not in the set yet, with the oracle's labels. */
        void addAndLabel(CountingClassifier oracle, ImageDataset data) {
            try (NDManager manager = NDManager.newBaseManager()) {
                for (int b = 0; b < data.numBatches(BATCH); b++) {
                    try (NDManager scope = manager.newSubManager()) {
                        addAndLabel(oracle, data.batchNumber(scope, b, BATCH).x());
                    }
                }
            }
        }

        int size() {
            return size;
        }

        /**
         * Rounds the points to the 8-bit grid, keeps those not in the set, and adds them with the
         * oracle's labels (one query per new point).
         */
        void addAndLabel(CountingClassifier oracle, NDArray points) {
            byte[] bytes = points.mul(255f).round().clip(0f, 255f).toType(DataType.UINT8, false)
                    .toByteArray();
            int n = Math.toIntExact(points.getShape().get(0));
            List<Integer> fresh = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ByteBuffer key = ByteBuffer.wrap(
                        Arrays.copyOfRange(bytes, i * imageSize, (i + 1) * imageSize));
                if (seen.add(key)) {
                    fresh.add(i);
                }
            }
            if (fresh.isEmpty()) {
                return;
            }
            byte[] kept = new byte[fresh.size() * imageSize];
            for (int k = 0; k < fresh.size(); k++) {
                System.arraycopy(bytes, fresh.get(k) * imageSize, kept, k * imageSize, imageSize);
            }
            NDArray quantized = points.getManager().create(ByteBuffer.wrap(kept),
                    new Shape(fresh.size(), channels, height, width), DataType.UINT8)
                    .toType(DataType.FLOAT32, false).div(255f);
            int[] answers = oracle.logits(quantized).argMax(1).toType(DataType.INT32, false)
                    .toIntArray();
            pixels = Arrays.copyOf(pixels, (size + fresh.size()) * imageSize);
            System.arraycopy(kept, 0, pixels, size * imageSize, kept.length);
            labels = Arrays.copyOf(labels, size + fresh.size());
            System.arraycopy(answers, 0, labels, size, answers.length);
            size += fresh.size();
        }

        /** The set with its oracle labels as a data set. */
        ImageDataset dataset() {
            return new ImageDataset(name, channels, height, width,
                    Arrays.copyOf(pixels, size * imageSize), Arrays.copyOf(labels, size),
                    classNames);
        }
    }

    /** Builds {@link SubstituteTraining}; every setting has the paper's default. */
    public static final class Builder {
        private String architecture = "small-cnn";
        private ArchitectureOptions options = ArchitectureOptions.DEFAULT;
        private int rounds = 6;
        private float lambda = 0.1f;
        private int tau = 3;
        private int reservoirAfter = -1;
        private int reservoirSize = 400;
        private boolean fromScratch = false;
        private TrainingSettings.Builder training =
                TrainingSettings.builder().optEpochs(10).optBatchSize(32);

        private Builder() {}

        /** The substitute's architecture (default small-cnn) and its options. */
        public Builder optArchitecture(String name, ArchitectureOptions value) {
            architecture = name;
            options = value;
            return this;
        }

        /** Training rounds, ρ_max (default 6). */
        public Builder optRounds(int value) {
            rounds = value;
            return this;
        }

        /** The augmentation step λ (default 0.1). */
        public Builder optLambda(float value) {
            lambda = value;
            return this;
        }

        /** The period τ of the step's sign flips (default 3; 0: none). */
        public Builder optTau(int value) {
            tau = value;
            return this;
        }

        /** Reservoir sampling: κ points per augmentation after σ doublings (default: off). */
        public Builder optReservoir(int after, int size) {
            reservoirAfter = after;
            reservoirSize = size;
            return this;
        }

        /** Train a fresh substitute each round instead of continuing (default false). */
        public Builder optFromScratch(boolean value) {
            fromScratch = value;
            return this;
        }

        /** Epochs per round (default 10). */
        public Builder optEpochs(int value) {
            training.optEpochs(value);
            return this;
        }

        /** Images per training step (default 32). */
        public Builder optBatchSize(int value) {
            training.optBatchSize(value);
            return this;
        }

        /** Adam's learning rate (default 1e-3). */
        public Builder optLearningRate(float value) {
            training.optLearningRate(value);
            return this;
        }

        /** Seeds initialization, training, and the reservoir's draws (default 0). */
        public Builder optSeed(long value) {
            training.optSeed(value);
            return this;
        }

        public SubstituteTraining build() {
            return new SubstituteTraining(architecture, options, rounds, lambda, tau,
                    reservoirAfter, reservoirSize, fromScratch, training.build());
        }
    }
}
