package org.parry.attack;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.parry.model.BlockClassifier;
import org.parry.model.ModelCard;
import org.parry.model.SavedModel;

/**
 * What {@link SubstituteTraining} returns: the trained substitute, its model card (oracle, rounds,
 * λ, queries, the per-round trace), the trace itself and the oracle labels spent. The substitute
 * belongs to this object: {@link #close()} releases it.
 *
 * @param model the substitute, a differentiable Parry model (a source for {@link TransferAttack})
 * @param card the card {@link #save} writes beside the weights
 * @param rounds one entry per round, in order
 * @param queries the oracle labels asked for, = |S_final|
 */
public record Substitute(BlockClassifier model, ModelCard card, List<SubstituteRound> rounds,
        long queries) implements AutoCloseable {

    public Substitute {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(card, "card");
        rounds = List.copyOf(rounds);
    }

    /** The last round's agreement with the oracle on the held-out images. */
    public double agreement() {
        return rounds.get(rounds.size() - 1).agreement();
    }

    /**
     * Saves the substitute as a Parry model (usable wherever a model is, e.g. {@code parry attack
     * --source DIR}), each file atomically.
     */
    public void save(Path directory) throws IOException {
        SavedModel.save(directory, model, card);
    }

    @Override
    public void close() {
        model.close();
    }
}
