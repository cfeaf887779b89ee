package org.parry.eval;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.parry.attack.Attack;
import org.parry.attack.AttackResult;
import org.parry.attack.Hypocritical;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.model.Classifier;
import org.parry.model.InputCheck;
import org.parry.model.Pipeline;

/**
 * Runs an evaluation protocol (Croce and Hein, ICML 2020): at each ε, the suite's attacks in
 * order, each on the samples still robust, worst case per sample, never overwriting a found
 * adversarial example; then the hypocritical perturbation on the clean mistakes (Tao et al. 2022).
 * The attacks are {@link SuiteAttack}s: registry names, or attacks of one's own. Every unit of work
 * (ε, attack, batch) is journaled, so {@code resume} after a crash or kill finishes the run with
 * the same numbers. Where the units run is the {@link EvaluationRunner}'s business (this process,
 * or a cluster's executors); the worst-case bookkeeping takes their results in unit order whatever
 * order they finish in, so every runner gives the same report. Not thread-safe (attacks use
 * PyTorch's one gradient collector).
 */
public final class Evaluator {

    private final EvaluationSettings settings;
    private final EvaluationListener listener;
    private final EvaluationRunner runner;

    /** An evaluator that runs its units in this process. */
    public Evaluator(EvaluationSettings settings, EvaluationListener listener) {
        this(settings, listener, EvaluationRunner.LOCAL);
    }

    /** An evaluator whose units run where {@code runner} runs them. */
    public Evaluator(EvaluationSettings settings, EvaluationListener listener,
            EvaluationRunner runner) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.runner = Objects.requireNonNull(runner, "runner");
    }

    /** What the protocol measured, before sanity checks and rendering. */
    public record Run(int[] labels, int[] cleanPredictions, List<EpsilonResult> results,
            List<WorstCase> worstCases, HypocriticalRisk hypocritical, float hypocriticalEpsilon) {}

    /**
     * Whether {@code directory} holds an evaluation's journal (an interrupted or finished run),
     * which {@link #run} with {@code resume} continues and without it starts anew.
     */
    public static boolean hasJournal(Path directory) {
        return Files.isRegularFile(directory.resolve(Journal.FILE));
    }

    /**
     * @param directory where the journal lives
     * @param resume replay the journal in {@code directory} and skip the work it holds
     */
    public Run run(Classifier model, ImageDataset data, Path directory, boolean resume)
            throws IOException {
        InputCheck.requireCompatible(model, data);
        int[] labels = data.labels();
        int[] clean = predict(model, data);
        List<EpsilonResult> results = new ArrayList<>();
        List<WorstCase> worstCases = new ArrayList<>();
        HypocriticalRisk hypocritical;
        try (Journal journal = Journal.open(directory, settings.fingerprint() + "|" + data.name()
                + "|" + data.sha256() + "|" + modelFingerprint(model, data), resume)) {
            for (int e = 0; e < settings.epsilons().length; e++) {
                WorstCase worstCase = new WorstCase(labels, clean);
                List<AttackOutcome> outcomes = new ArrayList<>();
                for (int a = 0; a < settings.suite().attacks().size(); a++) {
                    outcomes.add(runAttack(model, data, journal, worstCase, e, a));
                }
                worstCases.add(worstCase);
                results.add(summarize(settings.epsilons()[e], worstCase, outcomes, data.numClasses()));
            }
            hypocritical = runHypocritical(model, data, journal, labels, clean);
        }
        return new Run(labels, clean, results, worstCases, hypocritical, settings.epsilons()[0]);
    }

    /**
     * Identifies the model by its logits on the first images (any change of weights changes
     * them), so a journal is never replayed against another model.
     */
    private static String modelFingerprint(Classifier model, ImageDataset data) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = data.batch(manager, 0, Math.min(16, data.size()));
            Classifier fixed = model instanceof Pipeline pipeline ? pipeline.withFixedRandomness(0)
                    : model;
            float[] logits = fixed.logits(batch.x()).toFloatArray();
            java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
            for (float value : logits) {
                int bits = Float.floatToIntBits(value);
                digest.update(new byte[] {(byte) (bits >>> 24), (byte) (bits >>> 16),
                    (byte) (bits >>> 8), (byte) bits});
            }
            return model.name() + ":" + java.util.HexFormat.of().formatHex(digest.digest())
                    + (model instanceof Pipeline pipeline ? ":" + pipeline.describe() : "");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }

    private static int[] predict(Classifier model, ImageDataset data) {
        int[] predictions = new int[data.size()];
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int b = 0; b < data.numBatches(500); b++) {
                try (NDManager step = manager.newSubManager()) {
                    Batch batch = data.batchNumber(step, b, 500);
                    int[] batchPredictions = model.logits(batch.x()).argMax(1)
                            .toType(DataType.INT32, false).toIntArray();
                    System.arraycopy(batchPredictions, 0, predictions, b * 500, batchPredictions.length);
                }
            }
        }
        return predictions;
    }

    private AttackOutcome runAttack(Classifier model, ImageDataset data, Journal journal,
            WorstCase worstCase, int e, int a) throws IOException {
        float epsilon = settings.epsilons()[e];
        SuiteAttack spec = settings.suite().attacks().get(a);
        Attack settingsView = spec.create(settings.norm(), epsilon, settings.seed());
        long[] targets = worstCase.stillRobust();
        listener.onAttackStart(spec.name(), epsilon, targets.length);
        int batchSize = settings.batchSize();
        InOrder tally = new InOrder(worstCase, spec.name(), a,
                (targets.length + batchSize - 1) / batchSize, targets.length);
        List<EvaluationUnit> pending = new ArrayList<>();
        for (int b = 0; b * batchSize < targets.length; b++) {
            long[] indices = Arrays.copyOfRange(targets, b * batchSize,
                    Math.min(targets.length, (b + 1) * batchSize));
            Journal.Entry entry = journal.find(e, a, b);
            if (entry != null) {
                tally.arrived(b, indices, entry.toResult(data.imageShape()));
            } else {
                pending.add(new EvaluationUnit(e, a, b, indices));
            }
        }
        runner.run(model, data, settings, pending, (unit, result) -> {
            journal.append(Journal.Entry.of(unit.epsilon(), unit.attack(), unit.batch(),
                    unit.indices(), result));
            tally.arrived(unit.batch(), unit.indices(), result);
        });
        if (!tally.complete()) {
            throw new IllegalStateException("the evaluation runner returned before every unit of "
                    + spec.name() + " at ε=" + epsilon + " finished; a runner must hand back each"
                    + " unit it is given");
        }
        int n = worstCase.size();
        double robust = (double) worstCase.robustCount() / n;
        AttackOutcome outcome = new AttackOutcome(spec.name(), settingsView.settings(), epsilon,
                targets.length, tally.broken, robust, standardError(robust, n),
                PerturbationStats.of(tally.l2.stream().mapToDouble(Double::doubleValue).toArray()),
                PerturbationStats.of(tally.linf.stream().mapToDouble(Double::doubleValue).toArray()),
                tally.gradients, tally.queries, tally.seconds);
        listener.onAttackEnd(outcome);
        return outcome;
    }

    /**
     * Records one attack's units into the worst case in batch order, whatever order they arrive
     * in, so that the report never depends on the runner; a unit waits only until the ones
     * before it are in.
     */
    private final class InOrder {
        private final WorstCase worstCase;
        private final String name;
        private final int attack;
        private final int total;
        private final long[][] waitingIndices;
        private final AttackResult[] waiting;
        private int next;
        int broken;
        long gradients;
        long queries;
        double seconds;
        final List<Double> l2 = new ArrayList<>();
        final List<Double> linf = new ArrayList<>();

        InOrder(WorstCase worstCase, String name, int attack, int batches, int total) {
            this.worstCase = worstCase;
            this.name = name;
            this.attack = attack;
            this.total = total;
            waitingIndices = new long[batches][];
            waiting = new AttackResult[batches];
        }

        void arrived(int batch, long[] indices, AttackResult result) {
            waitingIndices[batch] = indices;
            waiting[batch] = result;
            for (; next < waiting.length && waiting[next] != null; next++) {
                record(waitingIndices[next], waiting[next]);
                waiting[next] = null;
                waitingIndices[next] = null;
            }
        }

        private void record(long[] indices, AttackResult result) {
            broken += worstCase.record(attack, indices, result);
            for (int row = 0; row < indices.length; row++) {
                if (worstCase.brokenBy(Math.toIntExact(indices[row])) == attack
                        && result.success()[row]) {
                    l2.add((double) result.l2()[row]);
                    linf.add((double) result.linf()[row]);
                }
            }
            gradients += result.gradients();
            queries += result.queries();
            seconds += result.seconds();
            listener.onBatch(name, (int) Math.min(total, (long) (next + 1) * settings.batchSize()),
                    broken);
        }

        boolean complete() {
            return next == waiting.length;
        }
    }

    /** The hypocritical perturbation at the first ε on the clean mistakes, journaled as one unit. */
    private HypocriticalRisk runHypocritical(Classifier model, ImageDataset data, Journal journal,
            int[] labels, int[] clean) throws IOException {
        float epsilon = settings.epsilons()[0];
        long[] mistakes = java.util.stream.IntStream.range(0, labels.length)
                .filter(i -> labels[i] != clean[i]).asLongStream().toArray();
        int[] hypocriticalPredictions = clean.clone();
        if (mistakes.length > 0 && model.hasGradients()) {
            int unit = settings.suite().attacks().size();
            Journal.Entry entry = journal.find(0, unit, 0);
            AttackResult result;
            if (entry != null) {
                result = entry.toResult(data.imageShape());
            } else {
                long seed = EvaluationUnit.seed(settings.seed(), 0, unit, 0);
                result = EvaluationUnit.run(model, data, Hypocritical.of(settings.norm(), epsilon,
                        seed), mistakes, seed);
                journal.append(Journal.Entry.of(0, unit, 0, mistakes, result));
            }
            for (int row = 0; row < mistakes.length; row++) {
                hypocriticalPredictions[Math.toIntExact(mistakes[row])] = result.predictions()[row];
            }
        }
        return HypocriticalRisk.of(labels, clean, hypocriticalPredictions);
    }

    private static EpsilonResult summarize(float epsilon, WorstCase worstCase,
            List<AttackOutcome> outcomes, int classes) {
        int n = worstCase.size();
        long[] perClassTotal = new long[classes];
        long[] perClassRobust = new long[classes];
        long[][] confusion = new long[classes][classes];
        for (int i = 0; i < n; i++) {
            int label = worstCase.label(i);
            perClassTotal[label]++;
            if (worstCase.brokenBy(i) == WorstCase.ROBUST) {
                perClassRobust[label]++;
            }
            if (worstCase.brokenBy(i) != WorstCase.CLEAN_ERROR) {
                confusion[label][worstCase.prediction(i)]++;
            }
        }
        double[] perClass = new double[classes];
        for (int c = 0; c < classes; c++) {
            perClass[c] = perClassTotal[c] == 0 ? Double.NaN : (double) perClassRobust[c] / perClassTotal[c];
        }
        double robust = (double) worstCase.robustCount() / n;
        int cleanCorrect = worstCase.cleanCorrectCount();
        double successRate = cleanCorrect == 0 ? Double.NaN
                : (double) (cleanCorrect - worstCase.robustCount()) / cleanCorrect;
        return new EpsilonResult(epsilon, robust, standardError(robust, n), worstCase.robustCount(),
                successRate, List.copyOf(outcomes), perClass, confusion);
    }

    static double standardError(double p, int n) {
        return n == 0 ? Double.NaN : Math.sqrt(p * (1 - p) / n);
    }
}
