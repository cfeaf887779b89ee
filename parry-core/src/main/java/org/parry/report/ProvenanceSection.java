package org.parry.report;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.parry.eval.AttackOutcome;
import org.parry.eval.EpsilonResult;
import org.parry.eval.EvaluationReport;
import org.parry.eval.Provenance;

/** What it takes to reproduce the run: model, data, seed, versions, and every attack's settings. */
final class ProvenanceSection implements ReportSection {

    @Override
    public String id() {
        return "provenance";
    }

    @Override
    public String title() {
        return "Provenance";
    }

    @Override
    public void render(ReportPage page) {
        EvaluationReport report = page.report();
        StringBuilder out = page.out();
        Provenance p = page.provenance();
        out.append("<table class=\"kv\"><tbody>\n");
        if (p != null) {
            page.row("Model", p.model());
            page.row("Model SHA-256", p.modelSha256(), true);
            if (p.defense() != null) {
                page.row("Defense", defense(p.defense()));
            }
            if (p.attackLoss() != null) {
                page.row("Attack loss", p.attackLoss());
            }
            page.row("Data set", p.dataset() + " (" + Text.count(report.n()) + " samples, "
                    + report.classNames().size() + " classes)");
            page.row("Data SHA-256", p.dataSha256(), true);
            page.row("Seed", Long.toString(p.seed()));
            page.row("Parry", p.parryVersion());
            page.row("DJL", p.djlVersion());
            page.row("PyTorch (libtorch)", p.pytorchVersion());
            page.row("Java", p.javaVersion());
            page.row("Operating system", p.os());
            page.row("CPU", p.cpu());
            page.row("Engine self-test", p.engineSelfTest() == null ? "not recorded" : p.engineSelfTest());
            page.row("Started", p.startedAt());
            page.row("Finished", p.finishedAt() + duration(p.startedAt(), p.finishedAt()));
        } else {
            page.row("Data set", page.data().name() + " (" + Text.count(report.n()) + " samples)");
        }
        page.row("Suite", report.suite() + " (" + page.attackNames() + ")");
        page.row("Threat model", Text.norm(report.norm()) + ", ε ∈ {" + page.epsilonList() + "}");
        page.row("Report schema", Integer.toString(report.schema()));
        out.append("</tbody></table>\n<details><summary>Attack settings (every setting, defaults "
                + "included)</summary>\n<table class=\"compact\"><thead><tr><th class=\"num\">ε</th>"
                + "<th>#</th><th>attack</th><th>settings</th></tr></thead><tbody>\n");
        for (EpsilonResult result : report.results()) {
            for (int a = 0; a < result.attacks().size(); a++) {
                AttackOutcome o = result.attacks().get(a);
                out.append("<tr>");
                page.num(Text.epsilon(result.epsilon()));
                out.append("<td>").append(a + 1).append("</td><td><b>").append(Text.html(o.name()))
                        .append("</b></td><td><code>").append(Text.html(settings(o.settings())))
                        .append("</code></td></tr>\n");
            }
        }
        out.append("</tbody></table>\n</details>\n");
    }

    /** Settings as {@code key=value, key=value} in their map's order; empty for none. */
    static String settings(Map<String, Object> settings) {
        StringBuilder text = new StringBuilder();
        if (settings != null) {
            for (Map.Entry<String, Object> setting : settings.entrySet()) {
                text.append(text.length() > 0 ? ", " : "").append(setting.getKey()).append('=')
                        .append(setting.getValue());
            }
        }
        return text.toString();
    }

    private static String duration(String started, String finished) {
        try {
            Duration d = Duration.between(OffsetDateTime.parse(started), OffsetDateTime.parse(finished));
            return " (" + Text.seconds(d.toMillis() / 1000.0) + ")";
        } catch (DateTimeParseException | NullPointerException e) {
            return "";
        }
    }

    /**
     * The stages of a defended model in order, each with its settings and how every attack's
     * gradient passed it, and the EOT draws, e.g. "jpeg (quality=75), gradients by bpda &gt;
     * small-cnn; 1 draw per gradient".
     */
    @SuppressWarnings("unchecked")
    private static String defense(Map<String, Object> defense) {
        StringBuilder text = new StringBuilder();
        for (Map<String, Object> stage : (List<Map<String, Object>>) defense.get("stages")) {
            List<String> settings = new ArrayList<>();
            ((Map<String, Object>) stage.get("settings")).forEach((k, v) -> settings.add(k + "=" + v));
            text.append(stage.get("name")).append(" (").append(String.join(", ", settings))
                    .append("), gradients by ").append(stage.get("gradients")).append(" > ");
        }
        Object draws = defense.get("eot");
        return text.append(defense.get("network")).append("; every attack's gradient averaged over ")
                .append(draws).append(" draw").append(Integer.valueOf(1).equals(draws) ? "" : "s")
                .append(" (EOT)").toString();
    }
}
