package org.parry.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.parry.eval.Interval;
import org.parry.io.AtomicFiles;
import org.parry.leaderboard.LeaderboardReport;
import org.parry.leaderboard.LeaderboardRow;

/**
 * Writes a leaderboard into a directory, each file atomically:
 * <ul>
 *   <li>{@value #JSON}: the {@link LeaderboardReport} (snake_case names);
 *   <li>{@value #CSV}: one row per model, ranked ones first (rank empty for a flagged model);
 *   <li>{@value #HTML}: the page ({@link LeaderboardPage}), which links each model's report.
 * </ul>
 */
public final class LeaderboardFiles {

    public static final String JSON = "leaderboard.json";
    public static final String CSV = "leaderboard.csv";
    public static final String HTML = "index.html";

    private LeaderboardFiles() {}

    /** Writes the three files, creating {@code directory} if missing. */
    public static void write(Path directory, LeaderboardReport board) throws IOException {
        Files.createDirectories(directory);
        AtomicFiles.writeString(directory.resolve(JSON),
                ReportJson.MAPPER.writeValueAsString(board));
        AtomicFiles.writeString(directory.resolve(CSV), csv(board));
        AtomicFiles.writeString(directory.resolve(HTML), LeaderboardPage.render(board));
    }

    static String csv(LeaderboardReport board) {
        List<String> header = new ArrayList<>(List.of("rank", "name", "kind", "model", "defense",
                "n", "clean_accuracy", "clean_low", "clean_high"));
        for (float epsilon : board.epsilons()) {
            String eps = Text.epsilon(epsilon);
            header.addAll(List.of("robust_accuracy@" + eps, "robust_low@" + eps,
                    "robust_high@" + eps));
        }
        header.addAll(List.of("verdict", "failed_checks", "report"));
        StringBuilder out = new StringBuilder(String.join(",", header)).append('\n');
        for (int i = 0; i < board.ranked().size(); i++) {
            row(out, Integer.toString(i + 1), board.ranked().get(i));
        }
        for (LeaderboardRow row : board.flagged()) {
            row(out, "", row);
        }
        return out.toString();
    }

    private static void row(StringBuilder out, String rank, LeaderboardRow row) {
        List<String> fields = new ArrayList<>(List.of(rank, Text.csv(row.name()), row.kind(),
                Text.csv(row.model()), Text.csv(row.defense()), Integer.toString(row.n())));
        fields.addAll(interval(row.cleanAccuracy(), row.clean()));
        for (int e = 0; e < row.robustAccuracy().length; e++) {
            fields.addAll(interval(row.robustAccuracy()[e], row.robust().get(e)));
        }
        fields.addAll(List.of(row.verdict(), Text.csv(String.join(" ", row.failed())),
                Text.csv(row.report())));
        out.append(String.join(",", fields)).append('\n');
    }

    private static List<String> interval(double value, Interval interval) {
        return List.of(Text.csv(value), Text.csv(interval.low()), Text.csv(interval.high()));
    }
}
