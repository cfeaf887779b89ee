package org.parry.bench;

import java.io.PrintStream;
import java.util.OptionalDouble;

/**
 * What benchmarks share in one run: the options, the output stream and the sgemm roofline once
 * it has been measured (so that later benchmarks report a ratio to a number from the same run).
 */
public final class BenchContext {

    private final boolean quick;
    private final PrintStream out;
    private double rooflineGflops = Double.NaN;

    public BenchContext(boolean quick, PrintStream out) {
        this.quick = quick;
        this.out = out;
    }

    /** Whether to run fewer iterations (a smoke test). */
    public boolean quick() {
        return quick;
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
