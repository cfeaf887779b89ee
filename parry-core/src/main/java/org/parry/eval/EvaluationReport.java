package org.parry.eval;

import java.util.List;

/**
 * A robustness report, the content of {@code report.json}. The schema is versioned by
 * {@link #SCHEMA}; fields are documented on the records they come from ({@link EpsilonResult},
 * {@link AttackOutcome}, {@link SanityCheck}, {@link Provenance}, {@link HypocriticalRisk}).
 *
 * @param schema the report layout version, {@value #SCHEMA}
 * @param suite the suite's name
 * @param norm the threat model's norm
 * @param epsilons the budgets
 * @param n samples evaluated
 * @param classNames the data set's classes
 * @param cleanAccuracy clean accuracy over the n samples
 * @param cleanCorrect clean-correct samples (the denominator of attack success rates)
 * @param perClassCleanAccuracy clean accuracy per true class
 * @param robustAccuracy worst-case robust accuracy at each ε (same order as {@code epsilons})
 * @param results per ε: per attack, per class, confusion under attack
 * @param hypocriticalEpsilon the ε of the hypocritical perturbation (the first ε)
 * @param hypocritical hypocritical risk on the clean mistakes
 * @param sanityChecks the evaluation's self-checks
 * @param provenance versions, machine, seed, hashes, times
 */
public record EvaluationReport(int schema, String suite, String norm, float[] epsilons, int n,
        List<String> classNames, double cleanAccuracy, int cleanCorrect,
        double[] perClassCleanAccuracy, double[] robustAccuracy, List<EpsilonResult> results,
        float hypocriticalEpsilon, HypocriticalRisk hypocritical, List<SanityCheck> sanityChecks,
        Provenance provenance) {

    /** The layout version this Parry writes. */
    public static final int SCHEMA = 1;
}
