package org.parry.model.zoo;

import org.parry.Identified;

/**
 * The probe network of a CIFS block (see {@link CifsBlock}), or none: {@code linear} is global
 * average pooling and a linear layer C → K; {@code nonlinear} is global average pooling,
 * Linear(C, 128), Softplus(β = 5), Linear(128, K), as in the paper's code.
 */
public enum CifsProbe implements Identified {
    NONE("none"),
    LINEAR("linear"),
    NONLINEAR("nonlinear");

    private final String id;

    CifsProbe(String id) {
        this.id = id;
    }

    @Override
    public String id() {
        return id;
    }

    /**
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static CifsProbe parse(String text) {
        return Identified.parse(values(), text, "CIFS probe");
    }
}
