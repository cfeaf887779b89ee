package org.parry.eval;

import org.parry.Identified;

/** How a targeted attack on a data set ({@link DataSetAttack}) picks each sample's target class. */
public enum TargetMode implements Identified {
    /** A uniformly random class other than the label, seeded. */
    RANDOM("random"),
    /** The class with the lowest clean logit (Kurakin et al.'s "least likely"). */
    LEAST_LIKELY("least-likely"),
    /** The label plus one, modulo the number of classes. */
    NEXT("next");

    private final String id;

    TargetMode(String id) {
        this.id = id;
    }

    @Override
    public String id() {
        return id;
    }
}
