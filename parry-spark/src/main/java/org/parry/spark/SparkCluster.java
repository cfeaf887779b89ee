package org.parry.spark;

import java.util.Objects;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.parry.data.ImageDataset;
import org.parry.eval.Cluster;
import org.parry.eval.EvaluationRunner;
import org.parry.model.ModelSource;

/**
 * Parry's evaluation units on Apache Spark: one {@link SparkContext} for a run, a {@link
 * SparkRunner} per model. Under {@code spark-submit} the master and the settings it was given win
 * over the ones passed here; in a plain JVM ({@code ./parry ... --master local[2]}) this class
 * starts the context itself. On a local master the web UI is off and the driver binds to the
 * loopback address, unless set otherwise.
 */
public final class SparkCluster implements Cluster {

    private final JavaSparkContext context;
    private final int partitions;
    private ImageDataset shipped;
    private Broadcast<ImageDataset> broadcast;

    /**
     * @param master a Spark master URL, e.g. {@code local[2]}, {@code spark://host:7077}
     * @param partitions partitions each batch of units is cut into; 0 for Spark's default
     *     parallelism
     */
    public SparkCluster(String master, int partitions) {
        Objects.requireNonNull(master, "master");
        if (partitions < 0) {
            throw new IllegalArgumentException("partitions must be >= 0, got " + partitions);
        }
        SparkConf conf = new SparkConf().setAppName("parry");
        if (!conf.contains("spark.master")) {
            conf.setMaster(master);
        }
        if (conf.get("spark.master").startsWith("local")) {
            conf.setIfMissing("spark.ui.enabled", "false");
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        this.context = JavaSparkContext.fromSparkContext(SparkContext.getOrCreate(conf));
        this.partitions = partitions == 0 ? context.defaultParallelism() : partitions;
    }

    @Override
    public EvaluationRunner runner(ModelSource model) {
        return new SparkRunner(context, model, partitions, this::broadcast);
    }

    /** The data set as a broadcast, sent once per data set rather than with every task. */
    private synchronized Broadcast<ImageDataset> broadcast(ImageDataset data) {
        if (data != shipped) {
            if (broadcast != null) {
                broadcast.unpersist();
            }
            broadcast = context.broadcast(data);
            shipped = data;
        }
        return broadcast;
    }

    @Override
    public String describe() {
        return "Spark " + context.version() + ", master " + context.master() + ", "
                + partitions + " partitions";
    }

    /** Partitions each batch of units is cut into (at most one unit per partition). */
    public int partitions() {
        return partitions;
    }

    @Override
    public void close() {
        context.stop();
    }
}
