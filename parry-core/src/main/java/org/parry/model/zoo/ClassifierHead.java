package org.parry.model.zoo;

import org.parry.Identified;

/**
 * The last layer of a zoo network, the one that turns features φ(x) into the K logits:
 * {@code linear} is DJL's fully connected layer W φ(x) + b; {@code cosine} is {@link
 * CosineLinear}, the scaled cosine s·cos(φ(x), w_k) of SPAT (Hou, Han and Li, AAAI 2023).
 */
public enum ClassifierHead implements Identified {
    LINEAR("linear"),
    COSINE("cosine");

    private final String id;

    ClassifierHead(String id) {
        this.id = id;
    }

    @Override
    public String id() {
        return id;
    }

    /**
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static ClassifierHead parse(String text) {
        return Identified.parse(values(), text, "classifier head");
    }
}
