package org.parry.spark;

import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.parry.data.ImageDataset;
import org.parry.eval.EvaluationSettings;
import org.parry.eval.EvaluationUnit;
import org.parry.model.ModelSource;

/**
 * What an executor does with a partition of units: opens the model once, sets libtorch's threads
 * to the task's cores, runs the units in order, hands back their results.
 *
 * <p>One partition at a time per JVM: PyTorch (through DJL) allows one gradient collector per
 * process and zeroes every live gradient when one opens, so two attacks in one process would
 * corrupt each other. Tasks of one executor therefore take turns; to use an executor's cores, run
 * one task per executor ({@code spark.task.cpus} = {@code spark.executor.cores}, libtorch then gets
 * all of them) or many one-core executors.
 */
final class ExecutorSide {

    /** Held while a partition runs: the process's one gradient collector is PyTorch's limit. */
    private static final Object PROCESS = new Object();

    private ExecutorSide() {}

    /**
     * @param threads libtorch intra-op threads for this task (the task's cores)
     */
    static List<UnitResult> run(ModelSource source, ImageDataset data, EvaluationSettings settings,
            Iterator<EvaluationUnit> units, int threads) {
        List<UnitResult> results = new ArrayList<>();
        if (!units.hasNext()) {
            return results;
        }
        synchronized (PROCESS) {
            // restored afterwards: in local mode this JVM is also the driver
            int before = JniUtils.getNumThreads();
            JniUtils.setNumThreads(threads);
            try (ModelSource.Opened model = source.open(data.imageShape())) {
                while (units.hasNext()) {
                    EvaluationUnit unit = units.next();
                    results.add(UnitResult.of(unit, unit.run(model.classifier(), data, settings)));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("executor could not open the model " + source.path()
                        + " (every executor must read it: put it on a shared file system)", e);
            } finally {
                JniUtils.setNumThreads(before);
            }
        }
        return results;
    }
}
