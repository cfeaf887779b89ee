package org.parry.leaderboard;

import java.util.List;

/**
 * A leaderboard, the content of {@code leaderboard.json}: the threat model every model was
 * evaluated under, and the models, ranked or flagged.
 *
 * @param schema the layout version, {@value #SCHEMA}
 * @param suite the attack suite
 * @param norm the threat model's norm
 * @param epsilons the budgets (ranking uses the last, the largest)
 * @param n test points per model
 * @param dataset the data set's name and split
 * @param dataSha256 SHA-256 of the test points
 * @param seed the evaluation seed
 * @param sanity the sanity checks' level
 * @param runner where the units ran, e.g. {@code local} or the Spark master
 * @param ranked the models whose checks did not fail, by robust accuracy at the largest ε, then
 *     clean accuracy, descending (rank = position + 1)
 * @param flagged the models whose sanity checks failed: their numbers are not trusted, so they are
 *     listed apart, unranked
 * @param parryVersion the Parry that wrote the board
 * @param createdAt ISO-8601
 */
public record LeaderboardReport(int schema, String suite, String norm, float[] epsilons, int n,
        String dataset, String dataSha256, long seed, String sanity, String runner,
        List<LeaderboardRow> ranked, List<LeaderboardRow> flagged, String parryVersion,
        String createdAt) {

    /** The layout version this Parry writes. */
    public static final int SCHEMA = 1;
}
