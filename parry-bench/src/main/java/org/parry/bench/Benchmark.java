package org.parry.bench;

import java.util.Map;

/** One sub-benchmark of {@link Bench}, selectable by {@link #name()}. */
public interface Benchmark {

    /** The name typed on the command line. */
    String name();

    /** One line for {@code --help}. */
    String description();

    /**
     * Whether {@code all} (and a command line naming no benchmark) runs it; benchmarks that need
     * more than Parry, or hours, run only when named.
     */
    default boolean inAll() {
        return true;
    }

    /**
     * Runs the benchmark, prints its table to {@link BenchContext#out()} and returns its
     * machine-readable results.
     */
    Map<String, Object> run(BenchContext context) throws Exception;
}
