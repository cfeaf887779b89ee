package org.parry.eval;

import java.io.IOException;
import java.util.List;
import org.parry.attack.AttackResult;
import org.parry.data.ImageDataset;
import org.parry.model.Classifier;

/**
 * Runs an evaluation's units of work and hands back each one's result; the {@link Evaluator} keeps
 * the protocol (which units exist, the journal, the worst case per sample) and a runner only says
 * where the units run: {@link #LOCAL} in this process one after another, or a cluster's executors
 * ({@link Cluster}, e.g. parry-spark's). Units are seeded by their position, so every runner gives
 * the same numbers.
 */
public interface EvaluationRunner {

    /** Runs the units here, in order, on the model and data it is given. */
    EvaluationRunner LOCAL = (model, data, settings, units, sink) -> {
        for (EvaluationUnit unit : units) {
            sink.accept(unit, unit.run(model, data, settings));
        }
    };

    /** Receives finished units, one call at a time; may throw to stop the run. */
    @FunctionalInterface
    interface Sink {
        void accept(EvaluationUnit unit, AttackResult result) throws IOException;
    }

    /**
     * Runs {@code units} and calls {@code sink} once for each, as it finishes (in any order, never
     * two calls at once), before returning.
     *
     * @param model the model in this process (a cluster runner opens its own copy on each executor)
     * @param data the evaluated samples (units name their rows)
     * @throws IOException when the sink fails to record a unit
     */
    void run(Classifier model, ImageDataset data, EvaluationSettings settings,
            List<EvaluationUnit> units, Sink sink) throws IOException;
}
