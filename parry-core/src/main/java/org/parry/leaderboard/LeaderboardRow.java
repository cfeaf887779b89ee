package org.parry.leaderboard;

import java.util.List;
import org.parry.eval.EvaluationReport;
import org.parry.eval.Interval;
import org.parry.eval.SanityCheck;

/**
 * One model's line on the board, read off its {@link EvaluationReport}.
 *
 * @param name the model's name
 * @param kind {@code parry}, {@code torchscript} or {@code onnx}
 * @param model the model's path as given
 * @param defense the defense in front of it (empty for none)
 * @param modelSha256 SHA-256 of the model's files (a changed file means a new evaluation)
 * @param n test points
 * @param cleanAccuracy clean accuracy
 * @param clean its 95% Wilson interval over the n points
 * @param robustAccuracy worst-case robust accuracy at each ε of the board
 * @param robust their 95% Wilson intervals
 * @param verdict the sanity checks' worst status: {@code pass}, {@code warn}, {@code fail}, or
 *     {@code skip} when none ran
 * @param failed the ids of the checks that failed (a model with any is flagged, not ranked)
 * @param warned the ids of the checks that warned
 * @param report the model's full report, relative to the board's directory
 * @param fingerprint what the numbers depend on: Parry's version, the threat model, the data, the
 *     model's hash and defense ({@link Leaderboard} reuses a row only when it is unchanged)
 */
public record LeaderboardRow(String name, String kind, String model, String defense,
        String modelSha256, int n, double cleanAccuracy, Interval clean, double[] robustAccuracy,
        List<Interval> robust, String verdict, List<String> failed, List<String> warned,
        String report, String fingerprint) {

    /** The row of a finished evaluation. */
    static LeaderboardRow of(Contender contender, EvaluationReport report, String reportLink,
            String fingerprint) {
        int n = report.n();
        List<Interval> robust = report.results().stream()
                .map(result -> Interval.wilson(result.robust(), n)).toList();
        List<String> failed = ids(report, SanityCheck.Status.FAIL);
        List<String> warned = ids(report, SanityCheck.Status.WARN);
        boolean anyRan = report.sanityChecks().stream()
                .anyMatch(check -> check.status() != SanityCheck.Status.SKIP);
        String verdict = !failed.isEmpty() ? "fail" : !warned.isEmpty() ? "warn"
                : anyRan ? "pass" : "skip";
        return new LeaderboardRow(contender.name(), contender.kind(), contender.source().path(),
                contender.defense(), report.provenance().modelSha256(), n, report.cleanAccuracy(),
                Interval.wilson(report.cleanCorrect(), n), report.robustAccuracy().clone(), robust,
                verdict, failed, warned, reportLink, fingerprint);
    }

    private static List<String> ids(EvaluationReport report, SanityCheck.Status status) {
        return report.sanityChecks().stream().filter(check -> check.status() == status)
                .map(SanityCheck::id).toList();
    }

    /** Whether the sanity checks failed: the row is shown apart, without a rank. */
    public boolean flagged() {
        return verdict.equals("fail");
    }

    /** Robust accuracy at the board's largest ε, the ranking key. */
    public double headline() {
        return robustAccuracy[robustAccuracy.length - 1];
    }
}
