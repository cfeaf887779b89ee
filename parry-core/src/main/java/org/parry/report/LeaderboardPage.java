package org.parry.report;

import java.util.List;
import java.util.Locale;
import org.parry.eval.Interval;
import org.parry.leaderboard.LeaderboardReport;
import org.parry.leaderboard.LeaderboardRow;

/**
 * The leaderboard as one self-contained HTML page in the style of RobustBench: the threat model
 * (norm, ε, suite, test points, data), then one line per ranked model (rank, name and kind, its
 * defense, clean and robust accuracy with their 95% Wilson intervals drawn as error bars, the
 * sanity verdict, a link to its full report), then the flagged models, whose sanity checks failed,
 * unranked and with the failed checks named.
 */
final class LeaderboardPage {

    private static final String STYLE = """
            body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222}
            h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:2em}
            .threat{color:#555;margin-bottom:1.5em}
            table{border-collapse:collapse;width:100%}
            th,td{padding:.35em .6em;border-bottom:1px solid #ddd;text-align:left;vertical-align:middle}
            th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
            .bar{position:relative;width:10em;height:.9em;background:#eee;display:inline-block;vertical-align:middle;margin-left:.5em}
            .fill{position:absolute;top:0;bottom:0;left:0;background:#5b8fd0}
            .err{position:absolute;top:.35em;height:.2em;background:#222}
            .verdict{padding:.1em .5em;border-radius:.8em;font-size:.85em}
            .pass{background:#d9f2d9}.warn{background:#fff0c2}.fail{background:#f8d0d0}.skip{background:#eee}
            .flagged td{color:#777}.small{font-size:.85em;color:#666}
            """;

    private LeaderboardPage() {}

    static String render(LeaderboardReport board) {
        StringBuilder html = new StringBuilder(8192);
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>Parry leaderboard</title><style>").append(STYLE)
                .append("</style></head><body>\n<h1>Robustness leaderboard</h1>\n")
                .append("<p class=\"threat\">Threat model: ").append(Text.norm(board.norm()))
                .append(", ε = ").append(epsilons(board.epsilons())).append("; suite <b>")
                .append(Text.html(board.suite())).append("</b>; ").append(board.n())
                .append(" test points of ").append(Text.html(board.dataset()))
                .append("; seed ").append(board.seed()).append("; sanity checks ")
                .append(Text.html(board.sanity())).append("; run on ")
                .append(Text.html(board.runner())).append(". Error bars: 95% Wilson intervals"
                        + " over the test points. Ranked by robust accuracy at ε = ")
                .append(Text.epsilon(board.epsilons()[board.epsilons().length - 1]))
                .append(".</p>\n");
        table(html, board, board.ranked(), true);
        if (!board.flagged().isEmpty()) {
            html.append("<h2>Flagged: the sanity checks failed</h2>\n<p>The evaluation of these"
                    + " models failed a sanity check (e.g. gradient masking): their robust"
                    + " accuracy is likely overstated, so they are not ranked. Each report says"
                    + " which check failed and why.</p>\n");
            table(html, board, board.flagged(), false);
        }
        html.append("<p class=\"small\">Parry ").append(Text.html(board.parryVersion()))
                .append(", ").append(Text.html(board.createdAt()))
                .append(". Data: leaderboard.json, leaderboard.csv.</p>\n</body></html>\n");
        return html.toString();
    }

    private static void table(StringBuilder html, LeaderboardReport board,
            List<LeaderboardRow> rows, boolean ranked) {
        html.append("<table").append(ranked ? " id=\"ranked\"" : " id=\"flagged\"")
                .append("><tr><th>Rank</th><th>Model</th><th>Defense</th><th>Clean accuracy</th>");
        for (float epsilon : board.epsilons()) {
            html.append("<th>Robust accuracy, ε = ").append(Text.epsilon(epsilon)).append("</th>");
        }
        html.append("<th>Sanity checks</th><th>Report</th></tr>\n");
        for (int i = 0; i < rows.size(); i++) {
            LeaderboardRow row = rows.get(i);
            html.append(ranked ? "<tr>" : "<tr class=\"flagged\">")
                    .append("<td class=\"num\">").append(ranked ? Integer.toString(i + 1) : Text.NONE)
                    .append("</td><td><b>").append(Text.html(row.name())).append("</b> <span"
                            + " class=\"small\">").append(Text.html(row.kind()))
                    .append("</span></td><td>").append(row.defense().isEmpty() ? Text.NONE
                            : Text.html(row.defense()))
                    .append("</td>");
            cell(html, row.cleanAccuracy(), row.clean());
            for (int e = 0; e < row.robustAccuracy().length; e++) {
                cell(html, row.robustAccuracy()[e], row.robust().get(e));
            }
            html.append("<td><span class=\"verdict ").append(row.verdict()).append("\">")
                    .append(row.verdict()).append("</span>");
            if (!row.failed().isEmpty()) {
                html.append(" <span class=\"small\">failed: ")
                        .append(Text.html(String.join(", ", row.failed()))).append("</span>");
            }
            if (!row.warned().isEmpty()) {
                html.append(" <span class=\"small\">warned: ")
                        .append(Text.html(String.join(", ", row.warned()))).append("</span>");
            }
            html.append("</td><td><a href=\"").append(Text.html(row.report()))
                    .append("\">report</a></td></tr>\n");
        }
        html.append("</table>\n");
    }

    private static void cell(StringBuilder html, double value, Interval interval) {
        html.append("<td class=\"num\" title=\"95% interval ")
                .append(Text.percent(interval.low())).append(" – ")
                .append(Text.percent(interval.high())).append("\">").append(Text.percent(value))
                .append(String.format(Locale.ROOT, " <span class=\"small\">[%.1f, %.1f]</span>",
                        100 * interval.low(), 100 * interval.high()))
                .append("<span class=\"bar\"><span class=\"fill\" style=\"width:")
                .append(String.format(Locale.ROOT, "%.1f", 100 * value))
                .append("%\"></span><span class=\"err\" style=\"left:")
                .append(String.format(Locale.ROOT, "%.1f%%;width:%.1f%%", 100 * interval.low(),
                        100 * (interval.high() - interval.low())))
                .append("\"></span></span></td>");
    }

    private static String epsilons(float[] epsilons) {
        StringBuilder text = new StringBuilder();
        for (float epsilon : epsilons) {
            text.append(text.length() == 0 ? "" : ", ").append(Text.epsilon(epsilon));
        }
        return text.toString();
    }
}
