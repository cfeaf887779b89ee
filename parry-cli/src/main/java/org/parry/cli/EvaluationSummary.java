package org.parry.cli;

import java.io.PrintStream;
import java.util.Locale;
import org.parry.eval.AttackOutcome;
import org.parry.eval.EpsilonResult;
import org.parry.eval.EvaluationReport;
import org.parry.eval.SanityCheck;

/** The summary table {@code parry evaluate} and {@code parry demo} print. */
final class EvaluationSummary {

    private EvaluationSummary() {}

    static void print(EvaluationReport report, PrintStream out) {
        out.printf(Locale.ROOT, "suite %s, %s, n = %d: clean accuracy %.4f%n", report.suite(),
                report.norm(), report.n(), report.cleanAccuracy());
        out.printf("%-12s %8s %10s %10s %9s%n", "attack", "epsilon", "robust", "broken", "seconds");
        for (EpsilonResult result : report.results()) {
            for (AttackOutcome outcome : result.attacks()) {
                out.printf(Locale.ROOT, "%-12s %8.4f %10.4f %10d %9.1f%n", outcome.name(),
                        outcome.epsilon(), outcome.robustAccuracy(), outcome.broken(), outcome.seconds());
            }
            out.printf(Locale.ROOT, "%-12s %8.4f %10.4f ± %.4f (attack success rate %.4f of %d clean-correct)%n",
                    "worst case", result.epsilon(), result.robustAccuracy(), result.standardError(),
                    result.attackSuccessRate(), report.cleanCorrect());
        }
        out.printf(Locale.ROOT, "hypocritical risk at ε=%s: %.4f of %d mistakes can be hidden%n",
                report.hypocriticalEpsilon(), report.hypocritical().risk(),
                report.hypocritical().misclassified());
        double seconds = report.sanityChecks().stream().mapToDouble(SanityCheck::seconds).sum();
        out.printf(Locale.ROOT, "sanity checks (%.1f s):%n", seconds);
        for (SanityCheck check : report.sanityChecks()) {
            out.printf(Locale.ROOT, "  %-4s %-26s %5.1fs  %s%n", check.status(), check.id(),
                    check.seconds(), check.explanation());
        }
    }
}
