package org.parry.bench;

import java.util.Map;

/** One sub-benchmark of {@link Bench}, selectable by {@link #name()}. */
public interface Benchmark {

    /** The name typed on the command line. */
    String name();

    /** One line for {@code --help}. */
    String description();

    /**
     * Runs the benchmark, prints its table to {@link BenchContext#out()} and returns its
     * machine-readable results.
     */
    Map<String, Object> run(BenchContext context) throws Exception;
}
