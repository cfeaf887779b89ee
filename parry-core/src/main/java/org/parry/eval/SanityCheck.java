package org.parry.eval;

/**
 * One automatable check of the evaluation itself (Carlini et al. 2019, "On evaluating adversarial
 * robustness"; Tramèr et al. 2020; AutoAttack's flags): pass, warn or fail, with a sentence saying
 * why.
 *
 * @param id short identifier, e.g. {@code gradient-health}
 * @param status the verdict
 * @param explanation what was measured and what it means
 */
public record SanityCheck(String id, Status status, String explanation) {

    /** The verdicts. */
    public enum Status {
        PASS, WARN, FAIL
    }

    public static SanityCheck pass(String id, String explanation) {
        return new SanityCheck(id, Status.PASS, explanation);
    }

    public static SanityCheck warn(String id, String explanation) {
        return new SanityCheck(id, Status.WARN, explanation);
    }

    public static SanityCheck fail(String id, String explanation) {
        return new SanityCheck(id, Status.FAIL, explanation);
    }
}
