package org.parry.train;

import ai.djl.nn.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.parry.model.BlockClassifier;
import org.parry.model.SavedModel;
import org.parry.model.zoo.Sparta;

/**
 * Sparta's transferability (Guo et al., "Sparta: Spatially attentive and adversarially robust
 * activation", arXiv 2105.08269): the Sparta modules trained with one network, or on one data
 * set, are reused frozen while another network with the same stage widths is trained, on the same
 * data or another. The i-th Sparta module of the source (depth first) is copied into the i-th of
 * the target, and the trainer leaves the copies alone.
 */
final class SpartaTransfer {

    private SpartaTransfer() {}

    /**
     * Copies the Sparta modules of a saved model into {@code target}.
     *
     * @return the target's parameters that now hold the source's values, to keep frozen
     * @throws IllegalArgumentException when the source has no Sparta modules, or a different
     *     number or widths of them
     */
    static Set<Parameter> copy(Path source, BlockClassifier target) throws IOException {
        List<Sparta> into = Sparta.findAll(target.block());
        if (into.isEmpty()) {
            throw new IllegalArgumentException("--sparta-from " + source + ": the network being"
                    + " trained has no Sparta modules to receive them; train it with --activation"
                    + " sparta");
        }
        try (BlockClassifier from = SavedModel.load(source)) {
            List<Sparta> modules = Sparta.findAll(from.block());
            if (modules.isEmpty()) {
                throw new IllegalArgumentException("--sparta-from " + source + ": that model has"
                        + " no Sparta modules to give; give a model trained with --activation"
                        + " sparta");
            }
            if (modules.size() != into.size()) {
                throw new IllegalArgumentException("--sparta-from " + source + ": that model has "
                        + modules.size() + " Sparta modules and this network " + into.size()
                        + "; reuse them in an architecture with the same stages (--activation"
                        + " sparta on the same --arch)");
            }
            Set<Parameter> frozen = new HashSet<>();
            for (int i = 0; i < modules.size(); i++) {
                Sparta.copyParameters(modules.get(i), into.get(i));
                frozen.addAll(into.get(i).getParameters().values());
            }
            return frozen;
        }
    }
}
