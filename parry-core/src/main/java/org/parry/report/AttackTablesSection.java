package org.parry.report;

import org.parry.eval.AttackOutcome;
import org.parry.eval.EpsilonResult;
import org.parry.eval.PerturbationStats;

/**
 * One table per ε: each attack's cumulative robust accuracy, successes, perturbation norms and
 * cost, and the worst case over the suite.
 */
final class AttackTablesSection implements ReportSection {

    @Override
    public String id() {
        return "attacks";
    }

    @Override
    public String title() {
        return "Robust accuracy by attack";
    }

    @Override
    public String label() {
        return "Attacks";
    }

    @Override
    public void render(ReportPage page) {
        page.out().append("<p class=\"note top\">Attacks in suite order. Each runs only on the "
                + "samples every earlier attack left robust, so robust accuracy is cumulative: the "
                + "last row is the worst case. Success = broken / attacked. Norms are over the "
                + "perturbations this attack found. Gradients count images through a forward and "
                + "backward pass, queries images through a forward pass only.</p>\n");
        for (EpsilonResult result : page.report().results()) {
            table(page, result);
        }
    }

    private static void table(ReportPage page, EpsilonResult result) {
        StringBuilder out = page.out();
        double totalSeconds = result.attacks().stream().mapToDouble(AttackOutcome::seconds).sum();
        out.append("<h3>ε = ").append(Text.html(Text.epsilon(result.epsilon()))).append("</h3>\n")
                .append("<div class=\"scroll\"><table class=\"attacks\">\n<thead><tr>")
                .append("<th rowspan=\"2\">#</th><th rowspan=\"2\">attack</th>")
                .append("<th rowspan=\"2\" class=\"num\">robust accuracy</th>")
                .append("<th rowspan=\"2\" class=\"num\">broken</th>")
                .append("<th rowspan=\"2\" class=\"num\">attacked</th>")
                .append("<th rowspan=\"2\" class=\"num\">success</th>")
                .append("<th colspan=\"3\" class=\"group\">L2 of found perturbations</th>")
                .append("<th colspan=\"3\" class=\"group\">L∞ of found perturbations</th>")
                .append("<th rowspan=\"2\" class=\"num\">gradients</th>")
                .append("<th rowspan=\"2\" class=\"num\">queries</th>")
                .append("<th rowspan=\"2\" class=\"num\">time</th>")
                .append("<th rowspan=\"2\" class=\"num\">share</th></tr>\n<tr>")
                .append("<th class=\"num\">median</th><th class=\"num\">mean</th><th class=\"num\">max</th>")
                .append("<th class=\"num\">median</th><th class=\"num\">mean</th><th class=\"num\">max</th>")
                .append("</tr></thead>\n<tbody>\n");
        long broken = 0;
        long gradients = 0;
        long queries = 0;
        for (int a = 0; a < result.attacks().size(); a++) {
            AttackOutcome o = result.attacks().get(a);
            broken += o.broken();
            gradients += o.gradients();
            queries += o.queries();
            out.append("<tr><td class=\"num\">").append(a + 1).append("</td><td><b>")
                    .append(Text.html(o.name())).append("</b></td>");
            page.num(Text.percent(o.robustAccuracy()) + " <span class=\"se\">"
                    + Text.html(Text.plusMinus(o.standardError())) + "</span>", true);
            page.num(Text.count(o.broken()));
            page.num(Text.count(o.attacked()));
            page.num(Text.percent(o.attacked() == 0 ? Double.NaN : (double) o.broken() / o.attacked()));
            stats(page, o.l2());
            stats(page, o.linf());
            page.num(Text.count(o.gradients()));
            page.num(Text.count(o.queries()));
            page.num(Text.seconds(o.seconds()));
            page.num(Text.percent(totalSeconds > 0 ? o.seconds() / totalSeconds : Double.NaN));
            out.append("</tr>\n");
        }
        int attacked = result.attacks().isEmpty() ? 0 : result.attacks().get(0).attacked();
        out.append("<tr class=\"total\"><td></td><td class=\"nowrap\">worst case</td>");
        page.num(Text.percent(result.robustAccuracy()) + " <span class=\"se\">"
                + Text.html(Text.plusMinus(result.standardError())) + "</span>", true);
        page.num(Text.count(broken));
        page.num(Text.count(attacked));
        page.num(Text.percent(attacked == 0 ? Double.NaN : (double) broken / attacked));
        out.append("<td colspan=\"6\"></td>");
        page.num(Text.count(gradients));
        page.num(Text.count(queries));
        page.num(Text.seconds(totalSeconds));
        page.num(totalSeconds > 0 ? "100%" : Text.NONE);
        out.append("</tr>\n</tbody></table></div>\n");
    }

    private static void stats(ReportPage page, PerturbationStats stats) {
        boolean none = stats == null || stats.count() == 0;
        page.num(none ? Text.NONE : Text.decimal(stats.median(), 3));
        page.num(none ? Text.NONE : Text.decimal(stats.mean(), 3));
        page.num(none ? Text.NONE : Text.decimal(stats.max(), 3));
    }
}
