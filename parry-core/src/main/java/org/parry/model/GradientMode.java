package org.parry.model;

import java.util.Locale;

/**
 * How an attack's gradient passes through a {@link Stage} of a {@link Pipeline}.
 */
public enum GradientMode {

    /**
     * Autograd through the stage. On a stage that is not {@link Stage#differentiable()} the
     * gradient through it is zero, its derivative almost everywhere (a quantizer is piecewise
     * constant): what a white-box attack that does not know the defense sees. That is gradient
     * masking, which the evaluation's sanity checks flag.
     */
    EXACT,

    /**
     * Backward pass differentiable approximation (Athalye, Carlini and Wagner, ICML 2018): the
     * forward pass runs the stage, the backward pass differentiates its {@link Stage#standIn}
     * instead, ∇_x L(f(s(x))) ≈ ∇_x g(x)ᵀ ∇_u L(f(u)) at u = s(x).
     */
    BPDA;

    /** The name as the CLI and the report write it. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code exact} or {@code bpda}. */
    public static GradientMode parse(String text) {
        for (GradientMode mode : values()) {
            if (mode.id().equals(text.trim().toLowerCase(Locale.ROOT))) {
                return mode;
            }
        }
        throw new IllegalArgumentException("unknown gradient mode '" + text
                + "'; use exact (autograd through every stage) or bpda (each non-differentiable"
                + " stage's stand-in in the backward pass)");
    }
}
