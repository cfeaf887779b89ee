package org.parry.eval;

import ai.djl.ndarray.NDManager;
import java.io.Serializable;
import java.util.Arrays;
import org.parry.attack.Attack;
import org.parry.attack.AttackResult;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.model.Classifier;
import org.parry.model.Pipeline;

/**
 * One unit of an evaluation's work: the suite's attack number {@code attack} at the ε number
 * {@code epsilon}, on batch number {@code batch} of the samples still robust when that attack's turn
 * came. A unit draws every random number from its own seed, a function of its position alone, so its
 * result does not depend on where, when or next to which other units it runs: in this process, after
 * a resume, or on any executor of a cluster ({@link EvaluationRunner}).
 *
 * @param epsilon index into {@link EvaluationSettings#epsilons()}
 * @param attack index into the suite's attacks
 * @param batch the batch number among the still-robust samples
 * @param indices the samples (rows of the evaluated data set), ascending
 */
public record EvaluationUnit(int epsilon, int attack, int batch, long[] indices)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    public EvaluationUnit {
        if (epsilon < 0 || attack < 0 || batch < 0) {
            throw new IllegalArgumentException("a unit's position is (ε, attack, batch) >= 0, got ("
                    + epsilon + ", " + attack + ", " + batch + ")");
        }
        indices = indices.clone();
    }

    /** The unit's seed: the evaluation's seed and the unit's position. */
    public long seed(EvaluationSettings settings) {
        return seed(settings.seed(), epsilon, attack, batch);
    }

    static long seed(long evaluationSeed, int epsilon, int attack, int batch) {
        return evaluationSeed * 1_000_003L + epsilon * 10_007L + attack * 101L + batch;
    }

    /**
     * Runs the unit: its attack, made with its seed, on its samples of {@code data}. A random
     * defense draws from the unit's seed too.
     *
     * @param model the classifier under evaluation
     * @param data the whole evaluated data set (the unit picks its rows)
     */
    public AttackResult run(Classifier model, ImageDataset data, EvaluationSettings settings) {
        Attack made = settings.suite().attacks().get(attack).create(settings.norm(),
                settings.epsilons()[epsilon], seed(settings));
        return run(model, data, made, indices, seed(settings));
    }

    /** {@code attack} on the samples {@code indices} of {@code data}, the defense seeded by {@code seed}. */
    static AttackResult run(Classifier model, ImageDataset data, Attack attack, long[] indices,
            long seed) {
        int[] rows = Arrays.stream(indices).mapToInt(Math::toIntExact).toArray();
        ImageDataset subset = data.select(rows);
        Classifier seeded = model instanceof Pipeline pipeline ? pipeline.withSeed(seed) : model;
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = subset.batch(manager, 0, subset.size());
            return attack.run(seeded, batch.x(), new Misclassification(batch.y()));
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof EvaluationUnit unit && unit.epsilon == epsilon
                && unit.attack == attack && unit.batch == batch
                && Arrays.equals(unit.indices, indices);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * epsilon + attack) + batch) + Arrays.hashCode(indices);
    }

    @Override
    public String toString() {
        return "unit (ε " + epsilon + ", attack " + attack + ", batch " + batch + ", "
                + indices.length + " samples)";
    }
}
