package org.parry.report;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link org.parry.eval.DataSetAttack} attacked, as the user named it, for the results
 * {@link AttackFiles} writes.
 *
 * @param model the model's file or directory, as given
 * @param split the data set's split, e.g. {@code test}
 * @param blackBox whether the model's gradients were hidden from the attack
 * @param defense the defense in front of the model ({@link org.parry.model.Pipeline#describe()}),
 *     or null for a bare model
 */
public record AttackSource(Path model, String split, boolean blackBox, Map<String, Object> defense) {

    public AttackSource {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(split, "split");
    }
}
