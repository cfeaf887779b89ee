package org.parry.eval;

/** Hears about an evaluation's progress, e.g. to draw progress bars; may throw to stop it. */
public interface EvaluationListener {

    EvaluationListener NONE = new EvaluationListener() {};

    /** An attack starts at ε on {@code total} still-robust samples. */
    default void onAttackStart(String attack, float epsilon, int total) {}

    /** A batch finished: {@code done} of the attack's samples, {@code broken} of them so far. */
    default void onBatch(String attack, int done, int broken) {}

    /** An attack finished at ε. */
    default void onAttackEnd(AttackOutcome outcome) {}

    /** The sanity checks of {@code level} start, after the attacks (never at level OFF). */
    default void onSanityChecks(SanityLevel level) {}
}
