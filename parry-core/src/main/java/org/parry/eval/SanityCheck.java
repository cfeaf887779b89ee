package org.parry.eval;

/**
 * One automatable check of the evaluation itself (Carlini et al. 2019, "On evaluating adversarial
 * robustness"; Tramèr et al. 2020; AutoAttack's flags): pass, warn or fail, with a sentence saying
 * why; or skip, with a sentence saying why it did not run (the {@link SanityLevel} asked for less,
 * or the model offers nothing to check).
 *
 * @param id short identifier, e.g. {@code gradient-health}
 * @param status the verdict
 * @param explanation what was measured and what it means, or why the check was skipped
 * @param seconds wall time the check took (0 when skipped)
 */
public record SanityCheck(String id, Status status, String explanation, double seconds) {

    /** The verdicts. */
    public enum Status {
        PASS, WARN, FAIL, SKIP
    }

    public static SanityCheck pass(String id, String explanation) {
        return new SanityCheck(id, Status.PASS, explanation, 0);
    }

    public static SanityCheck warn(String id, String explanation) {
        return new SanityCheck(id, Status.WARN, explanation, 0);
    }

    public static SanityCheck fail(String id, String explanation) {
        return new SanityCheck(id, Status.FAIL, explanation, 0);
    }

    /** A check that did not run, and why. */
    public static SanityCheck skip(String id, String reason) {
        return new SanityCheck(id, Status.SKIP, reason, 0);
    }

    /** This check with its wall time. */
    public SanityCheck withSeconds(double value) {
        return new SanityCheck(id, status, explanation, value);
    }
}
