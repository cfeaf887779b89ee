package org.parry.bench;

import java.io.PrintStream;
import java.util.OptionalDouble;

/**
 * What benchmarks share in one run: the options, the output stream and the sgemm roofline once
 * it has been measured (so that later benchmarks report a ratio to a number from the same run).
 */
public final class BenchContext {

    private final boolean quick;
    private final int points;
    private final PrintStream out;
    private double rooflineGflops = Double.NaN;

    public BenchContext(boolean quick, PrintStream out) {
        this(quick, 0, out);
    }

    /**
     * @param points test points for the evaluation benchmarks ({@code --points}), 0 for their
     *     default
     */
    public BenchContext(boolean quick, int points, PrintStream out) {
        this.quick = quick;
        this.points = points;
        this.out = out;
    }

    /** Whether to run fewer iterations (a smoke test). */
    public boolean quick() {
        return quick;
    }

    /**
     * The test points an evaluation benchmark attacks: {@code --points} if given, else its
     * {@code --quick} or full default.
     */
    public int points(int full, int quickPoints) {
        return points > 0 ? points : quick ? quickPoints : full;
    }

    public PrintStream out() {
        return out;
    }

    /** The standard timing: 5 repetitions of ~1 s after warm-up, or 3 of ~0.2 s with {@code --quick}. */
    public Timing timing(int warmupOps) {
        return quick ? new Timing(Math.max(1, warmupOps / 2), 3, 0.2) : new Timing(warmupOps, 5, 1.0);
    }

    /** The median sgemm GFLOP/s of this run, if the sgemm benchmark has run. */
    public OptionalDouble roofline() {
        return Double.isNaN(rooflineGflops) ? OptionalDouble.empty() : OptionalDouble.of(rooflineGflops);
    }

    void setRoofline(double gflops) {
        this.rooflineGflops = gflops;
    }
}
