package org.parry.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Times an operation the same way for every benchmark: a warm-up, a calibration that picks how
 * many operations one repetition runs (so that it lasts about {@code targetSeconds}), then
 * {@code repetitions} timed repetitions. The result is the wall-clock time per operation of each
 * repetition ({@link System#nanoTime()}); PyTorch on CPU runs each operator synchronously, so
 * the time covers the native work.
 *
 * @param warmupOps operations run and discarded before timing (JIT, allocator, oneDNN caches)
 * @param repetitions timed repetitions; their median and spread are reported
 * @param targetSeconds the approximate length of one repetition
 */
public record Timing(int warmupOps, int repetitions, double targetSeconds) {

    /** One repetition's operation count is never larger than this. */
    private static final int MAX_OPS_PER_REPETITION = 100_000;

    public Timing {
        if (warmupOps < 1 || repetitions < 1 || !(targetSeconds > 0)) {
            throw new IllegalArgumentException("warm-up, repetitions and target must be positive");
        }
    }

    /** One benchmarked operation; it must release everything it allocates. */
    @FunctionalInterface
    public interface Operation {
        void run() throws Exception;
    }

    /** The outcome: seconds per operation for each repetition, and how many operations each ran. */
    public record Result(Stats secondsPerOp, int opsPerRepetition) {

        /** {@code work} units per second (work per operation / time per operation), per repetition. */
        public Stats rate(double workPerOp) {
            return secondsPerOp.reciprocal().scale(workPerOp);
        }
    }

    /** Warms up, calibrates and measures {@code operation}. */
    public Result measure(Operation operation) throws Exception {
        return measureSideBySide(List.of(operation)).get(0);
    }

    /**
     * Measures several operations side by side: each is warmed up and calibrated in turn, then the
     * repetitions run in rounds, every round one repetition of each operation in order. A change
     * of the machine's load during the run then hits all of them alike, and the samples of two
     * operations taken in the same round are a paired comparison ({@link Stats#over}).
     *
     * @return the results, in the operations' order
     */
    public List<Result> measureSideBySide(List<Operation> operations) throws Exception {
        int[] ops = new int[operations.size()];
        for (int k = 0; k < ops.length; k++) {
            ops[k] = calibrate(operations.get(k));
        }
        double[][] seconds = new double[ops.length][repetitions];
        for (int r = 0; r < repetitions; r++) {
            for (int k = 0; k < ops.length; k++) {
                Operation operation = operations.get(k);
                long start = System.nanoTime();
                for (int i = 0; i < ops[k]; i++) {
                    operation.run();
                }
                seconds[k][r] = (System.nanoTime() - start) / 1e9 / ops[k];
            }
        }
        List<Result> results = new ArrayList<>();
        for (int k = 0; k < ops.length; k++) {
            results.add(new Result(Stats.of(seconds[k]), ops[k]));
        }
        return results;
    }

    /** Runs the warm-up; returns how many operations make one repetition of about the target length. */
    private int calibrate(Operation operation) throws Exception {
        long warmupStart = 0;
        for (int i = 0; i < warmupOps; i++) {
            if (i == warmupOps / 2) {
                warmupStart = System.nanoTime();
            }
            operation.run();
        }
        int calibrated = warmupOps - warmupOps / 2;
        double estimate = Math.max((System.nanoTime() - warmupStart) / 1e9 / calibrated, 1e-9);
        return (int) Math.max(1, Math.min(MAX_OPS_PER_REPETITION, Math.round(targetSeconds / estimate)));
    }
}
