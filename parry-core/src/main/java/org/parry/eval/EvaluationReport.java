package org.parry.eval;

import java.util.List;
import org.parry.data.ImageDataset;
import org.parry.detect.DetectionSummary;

/**
 * A robustness report, the content of {@code report.json}. The schema is versioned by
 * {@link #SCHEMA}; fields are documented on the records they come from ({@link EpsilonResult},
 * {@link AttackOutcome}, {@link SanityCheck}, {@link Provenance}, {@link HypocriticalRisk},
 * {@link DetectionSummary}).
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
 * @param detection every detector against every attack, oblivious and adaptive; null when the
 *     evaluation had no detectors
 */
public record EvaluationReport(int schema, String suite, String norm, float[] epsilons, int n,
        List<String> classNames, double cleanAccuracy, int cleanCorrect,
        double[] perClassCleanAccuracy, double[] robustAccuracy, List<EpsilonResult> results,
        float hypocriticalEpsilon, HypocriticalRisk hypocritical, List<SanityCheck> sanityChecks,
        Provenance provenance, DetectionSummary detection) {

    /** The layout version this Parry writes. */
    public static final int SCHEMA = 1;

    /** A report without detection. */
    public EvaluationReport(int schema, String suite, String norm, float[] epsilons, int n,
            List<String> classNames, double cleanAccuracy, int cleanCorrect,
            double[] perClassCleanAccuracy, double[] robustAccuracy, List<EpsilonResult> results,
            float hypocriticalEpsilon, HypocriticalRisk hypocritical, List<SanityCheck> sanityChecks,
            Provenance provenance) {
        this(schema, suite, norm, epsilons, n, classNames, cleanAccuracy, cleanCorrect,
                perClassCleanAccuracy, robustAccuracy, results, hypocriticalEpsilon, hypocritical,
                sanityChecks, provenance, null);
    }

    /** This report with {@code detection} (null for none) in place of its own. */
    public EvaluationReport withDetection(DetectionSummary detection) {
        return new EvaluationReport(schema, suite, norm, epsilons, n, classNames, cleanAccuracy,
                cleanCorrect, perClassCleanAccuracy, robustAccuracy, results, hypocriticalEpsilon,
                hypocritical, sanityChecks, provenance, detection);
    }

    /** Assembles the report of a finished run. */
    public static EvaluationReport of(Evaluator.Run run, EvaluationSettings settings,
            ImageDataset data, List<SanityCheck> sanityChecks, Provenance provenance) {
        int n = run.labels().length;
        int classes = data.numClasses();
        long[] total = new long[classes];
        long[] correct = new long[classes];
        int cleanCorrect = 0;
        for (int i = 0; i < n; i++) {
            total[run.labels()[i]]++;
            if (run.labels()[i] == run.cleanPredictions()[i]) {
                correct[run.labels()[i]]++;
                cleanCorrect++;
            }
        }
        double[] perClass = new double[classes];
        for (int c = 0; c < classes; c++) {
            perClass[c] = total[c] == 0 ? Double.NaN : (double) correct[c] / total[c];
        }
        double[] robust = run.results().stream().mapToDouble(EpsilonResult::robustAccuracy).toArray();
        return new EvaluationReport(SCHEMA, settings.suite().name(), settings.norm().id(),
                settings.epsilons(), n, data.classNames(), (double) cleanCorrect / n, cleanCorrect,
                perClass, robust, run.results(), run.hypocriticalEpsilon(), run.hypocritical(),
                sanityChecks, provenance);
    }
}
