package org.parry.spark;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkDriverExecutionException;
import org.apache.spark.SparkException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.parry.data.ImageDataset;
import org.parry.eval.EvaluationRunner;
import org.parry.eval.EvaluationSettings;
import org.parry.eval.EvaluationUnit;
import org.parry.model.Classifier;
import org.parry.model.ModelSource;
import scala.Function2;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.BoxedUnit;

/**
 * Runs a batch of units as one Spark job: the units are cut into partitions (contiguous runs of
 * units, at most {@code partitions}); each task opens the model from its {@link ModelSource} once
 * and runs its units ({@link ExecutorSide}); the data set reaches the executors once, as a
 * broadcast. Each partition's results come back to the driver as soon as it finishes and go to the
 * sink (the {@link org.parry.eval.Evaluator} journals them), so a job that dies leaves its finished
 * partitions journaled and a resumed run does not redo them. Spark retries a failed task (
 * {@code spark.task.maxFailures}, or {@code local[N,F]}); a retried unit gives the same result,
 * since it is seeded by its position.
 */
final class SparkRunner implements EvaluationRunner {

    private final JavaSparkContext context;
    private final ModelSource source;
    private final int partitions;
    private final java.util.function.Function<ImageDataset, Broadcast<ImageDataset>> broadcasts;

    /**
     * @param broadcasts the data set as a broadcast (the cluster's, shared by its runners, so
     *     that the models of a leaderboard send the data once)
     */
    SparkRunner(JavaSparkContext context, ModelSource source, int partitions,
            java.util.function.Function<ImageDataset, Broadcast<ImageDataset>> broadcasts) {
        this.context = context;
        this.source = source;
        this.partitions = partitions;
        this.broadcasts = broadcasts;
    }

    @Override
    public void run(Classifier model, ImageDataset data, EvaluationSettings settings,
            List<EvaluationUnit> units, Sink sink) throws IOException {
        if (units.isEmpty()) {
            return;
        }
        requireShippable(settings);
        JavaRDD<EvaluationUnit> rdd = context.parallelize(units, Math.min(units.size(), partitions));
        Function2<Object, ArrayList<UnitResult>, BoxedUnit> handler = (partition, results) -> {
            for (UnitResult result : results) {
                try {
                    sink.accept(result.unit(), result.result());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return BoxedUnit.UNIT;
        };
        @SuppressWarnings("unchecked")
        ClassTag<ArrayList<UnitResult>> tag = (ClassTag<ArrayList<UnitResult>>) (ClassTag<?>)
                ClassTag$.MODULE$.apply(ArrayList.class);
        try {
            context.sc().runJob(rdd.rdd(), work(source, broadcasts.apply(data), settings), handler, tag);
        } catch (Exception e) { // Scala throws SparkException, a checked exception, undeclared
            if (e instanceof SparkDriverExecutionException && e.getCause() instanceof UncheckedIOException io) {
                throw io.getCause();
            }
            if (e instanceof SparkException) {
                throw new IllegalStateException("the Spark job failed (" + firstLine(e) + "); the"
                        + " units that finished are journaled: run again with --resume to go on", e);
            }
            throw e instanceof RuntimeException runtime ? runtime : new IllegalStateException(e);
        }
    }

    /** The executors' side of a job; static, so that the closure holds only what it names. */
    private static Function2<TaskContext, scala.collection.Iterator<EvaluationUnit>,
            ArrayList<UnitResult>> work(ModelSource source, Broadcast<ImageDataset> data,
            EvaluationSettings settings) {
        return (Function2<TaskContext, scala.collection.Iterator<EvaluationUnit>,
                ArrayList<UnitResult>> & Serializable) (task, units) -> new ArrayList<>(
                ExecutorSide.run(source, data.value(), settings,
                        scala.jdk.javaapi.CollectionConverters.asJava(units), task.cpus()));
    }

    /** Fails before the job when an attack of one's own cannot travel to the executors. */
    private static void requireShippable(EvaluationSettings settings) {
        try (ObjectOutputStream out = new ObjectOutputStream(new ByteArrayOutputStream())) {
            out.writeObject(settings);
        } catch (NotSerializableException e) {
            throw new IllegalArgumentException("suite " + settings.suite().name() + " cannot be"
                    + " sent to Spark executors: its attack factory holds a " + e.getMessage()
                    + ", which is not serializable; make the factory capture only serializable"
                    + " values (names, numbers, settings)");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String firstLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName()
                : root.getMessage();
        return message.lines().findFirst().orElse(message);
    }
}
