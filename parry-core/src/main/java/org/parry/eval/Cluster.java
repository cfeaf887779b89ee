package org.parry.eval;

import org.parry.model.ModelSource;

/**
 * A connection to a cluster that runs evaluation units on its executors (parry-spark provides one
 * on Apache Spark); opened by {@link ClusterProvider#connect}, shared by the models of a run, closed
 * at its end.
 */
public interface Cluster extends AutoCloseable {

    /**
     * A runner whose executors each open the model from {@code model} (once per partition of
     * units) and run their units on it.
     */
    EvaluationRunner runner(ModelSource model);

    /** One line for logs and reports, e.g. {@code Spark 4.2.0, master local[2], 2 cores}. */
    String describe();

    @Override
    void close();
}
