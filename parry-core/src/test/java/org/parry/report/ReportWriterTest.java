package org.parry.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.eval.AttackOutcome;
import org.parry.eval.EpsilonResult;
import org.parry.eval.EvaluationReport;
import org.parry.eval.Evaluator;
import org.parry.eval.WorstCase;

class ReportWriterTest {

    /** Jackson's defaults: strict JSON, so a bare NaN token fails the parse. */
    private static final ObjectMapper STRICT = new ObjectMapper();

    @Test
    void reportJsonHasTheDocumentedSnakeCaseFields(@TempDir Path dir) throws IOException {
        ReportFixture f = ReportFixture.get();
        ReportWriter.write(dir, f.report, f.run, f.data);
        JsonNode json = STRICT.readTree(dir.resolve(ReportWriter.JSON).toFile());

        assertThat(json.get("schema").asInt()).isEqualTo(EvaluationReport.SCHEMA);
        assertThat(json.get("clean_accuracy").asDouble()).isEqualTo(f.report.cleanAccuracy());
        assertThat(json.get("robust_accuracy")).hasSize(2);
        for (int e = 0; e < 2; e++) {
            assertThat(json.get("robust_accuracy").get(e).asDouble())
                    .isEqualTo(f.report.results().get(e).robustAccuracy());
            assertThat(json.get("results").get(e).get("attacks")).hasSize(2);
        }
        JsonNode attacks = json.get("attacks");
        assertThat(attacks).hasSize(4);
        List<String> names = new ArrayList<>();
        for (JsonNode attack : attacks) {
            assertThat(attack.has("name") && attack.has("epsilon") && attack.has("robust_accuracy")
                    && attack.has("seconds")).as("attack %s", attack).isTrue();
            assertThat(attack.get("seconds").isNumber()).isTrue();
            names.add(attack.get("name").asText() + "@" + attack.get("epsilon").floatValue());
        }
        String e0 = Float.toString(ReportFixture.EPSILONS[0]);
        String e1 = Float.toString(ReportFixture.EPSILONS[1]);
        assertThat(names).containsExactly("fgsm@" + e0, "pgd@" + e0, "fgsm@" + e1, "pgd@" + e1);
        AttackOutcome lastPgd = f.report.results().get(1).attacks().get(1);
        assertThat(attacks.get(3).get("robust_accuracy").asDouble()).isEqualTo(lastPgd.robustAccuracy());
        assertThat(attacks.get(3).get("l2").has("median")).isTrue();

        assertThat(json.get("hypocritical").get("risk").asDouble())
                .isEqualTo(f.report.hypocritical().risk());
        assertThat(json.get("provenance").get("model_sha256").asText()).isEqualTo("ab".repeat(32));
        assertThat(json.get("sanity_checks").get(2).get("status").asText()).isEqualTo("FAIL");
        assertThat(json.get("class_names")).hasSize(10);
        assertThat(json.get("results").get(0).get("confusion_under_attack")).hasSize(10);
        assertThat(camelCaseKeys(json)).as("every key outside attack settings is snake_case").isEmpty();
    }

    @Test
    void nanAndInfinityAreWrittenAsNull(@TempDir Path dir) throws IOException {
        ReportFixture f = ReportFixture.get();
        EvaluationReport r = f.report;
        double[] perClass = r.perClassCleanAccuracy().clone();
        perClass[3] = Double.NaN;
        perClass[4] = Double.POSITIVE_INFINITY;
        EvaluationReport withNaN = new EvaluationReport(r.schema(), r.suite(), r.norm(), r.epsilons(),
                r.n(), r.classNames(), r.cleanAccuracy(), r.cleanCorrect(), perClass,
                r.robustAccuracy(), r.results(), r.hypocriticalEpsilon(), r.hypocritical(),
                r.sanityChecks(), r.provenance());
        ReportWriter.write(dir, withNaN, f.run, f.data);
        String text = Files.readString(dir.resolve(ReportWriter.JSON));
        assertThat(text).doesNotContain("NaN").doesNotContain("Infinity");
        JsonNode json = STRICT.readTree(text);
        assertThat(json.get("per_class_clean_accuracy").get(3).isNull()).isTrue();
        assertThat(json.get("per_class_clean_accuracy").get(4).isNull()).isTrue();
        assertThat(json.get("per_class_clean_accuracy").get(5).isNumber()).isTrue();
    }

    @Test
    void csvFilesHaveOneRowPerEpsilonAndSampleAndPerEpsilonAndAttack(@TempDir Path dir)
            throws IOException {
        ReportFixture f = ReportFixture.get();
        ReportWriter.write(dir, f.report, f.run, f.data);
        List<String> rows = Files.readAllLines(dir.resolve(ReportWriter.RESULTS_CSV), StandardCharsets.UTF_8);
        assertThat(rows).hasSize(ReportFixture.N * ReportFixture.EPSILONS.length + 1);
        assertThat(rows.get(0)).isEqualTo(
                "epsilon,index,label,clean_prediction,robust,broken_by,adversarial_prediction,l2,linf");
        for (int e = 0; e < 2; e++) {
            EpsilonResult result = f.run.results().get(e);
            WorstCase worst = f.run.worstCases().get(e);
            int robust = 0;
            for (int i = 0; i < ReportFixture.N; i++) {
                String[] cells = rows.get(1 + e * ReportFixture.N + i).split(",", -1);
                assertThat(cells).hasSize(9);
                assertThat(Float.parseFloat(cells[0])).isEqualTo(result.epsilon());
                assertThat(Integer.parseInt(cells[1])).isEqualTo(i);
                assertThat(Integer.parseInt(cells[2])).isEqualTo(worst.label(i));
                robust += Integer.parseInt(cells[4]);
                if (worst.brokenBy(i) >= 0) {
                    assertThat(cells[5]).isEqualTo(result.attacks().get(worst.brokenBy(i)).name());
                    assertThat(Float.parseFloat(cells[8])).isLessThanOrEqualTo(result.epsilon() + 1e-6f);
                    assertThat(Integer.parseInt(cells[6])).isNotEqualTo(worst.label(i));
                } else {
                    assertThat(cells[5]).isEqualTo(worst.brokenBy(i) == WorstCase.CLEAN_ERROR
                            ? "clean-error" : "");
                    assertThat(cells[7]).isEmpty();
                }
            }
            assertThat(robust).isEqualTo(result.robust());
        }
        List<String> attacks = Files.readAllLines(dir.resolve(ReportWriter.ATTACKS_CSV), StandardCharsets.UTF_8);
        assertThat(attacks).hasSize(2 * 2 + 1);
        assertThat(attacks.get(0).split(",")).hasSize(18);
        assertThat(attacks.get(1)).startsWith(ReportFixture.EPSILONS[0] + ",1,fgsm,");
        assertThat(attacks.get(4)).startsWith(ReportFixture.EPSILONS[1] + ",2,pgd,");
        for (String row : attacks) {
            assertThat(row.split(",", -1)).hasSize(18);
        }
    }

    @Test
    void htmlIsSelfContainedAndEscaped(@TempDir Path dir) throws IOException {
        ReportFixture f = ReportFixture.get();
        ReportWriter.write(dir, f.report, f.run, f.data);
        String html = Files.readString(dir.resolve(ReportWriter.HTML));
        assertThat(html).doesNotContain("<link").doesNotContain("<script src").doesNotContain("url(")
                .doesNotContain("@import");
        Matcher sources = Pattern.compile("\\ssrc=\"([^\"]*)\"").matcher(html);
        int images = 0;
        while (sources.find()) {
            assertThat(sources.group(1)).startsWith("data:image/png;base64,");
            images++;
        }
        assertThat(images).isEqualTo(2 + 3 * f.gallerySize());
        assertThat(f.gallerySize()).as("the fixture breaks samples at the first ε").isPositive();
        assertThat(html).doesNotContain(ReportFixture.HOSTILE)
                .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;");
        assertThat(html.split("<script>", -1)).as("exactly one (inline) script").hasSize(2);
        assertThat(html).contains("small-cnn", "synthetic", "L∞",
                ReportFixture.EPSILONS[0] + ", " + ReportFixture.EPSILONS[1], "fgsm", "pgd",
                "Sanity checks", "badge fail", "Hypocritical risk", "Provenance");
    }

    @Test
    void aRunThatDoesNotMatchTheReportIsRefused(@TempDir Path dir) {
        ReportFixture f = ReportFixture.get();
        Evaluator.Run oneEpsilon = new Evaluator.Run(f.run.labels(), f.run.cleanPredictions(),
                f.run.results().subList(0, 1), f.run.worstCases().subList(0, 1),
                f.run.hypocritical(), f.run.hypocriticalEpsilon());
        assertThatThrownBy(() -> ReportWriter.write(dir, f.report, oneEpsilon, f.data))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ε list");
        assertThatThrownBy(() -> ReportWriter.write(dir, f.report, f.run, f.data.first(10)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("disagree on n");
    }

    @Test
    void oneEpsilonNoChecksNoProvenanceAndNothingBrokenStillRender(@TempDir Path dir)
            throws IOException {
        ReportFixture f = ReportFixture.get();
        EvaluationReport r = f.report;
        EvaluationReport single = new EvaluationReport(r.schema(), r.suite(), r.norm(),
                new float[] {r.epsilons()[0]}, r.n(), r.classNames(), r.cleanAccuracy(),
                r.cleanCorrect(), r.perClassCleanAccuracy(), new double[] {r.robustAccuracy()[0]},
                r.results().subList(0, 1), r.hypocriticalEpsilon(), r.hypocritical(), List.of(), null);
        // A worst case where no attack broke anything: the gallery has nothing to show.
        Evaluator.Run unbroken = new Evaluator.Run(f.run.labels(), f.run.cleanPredictions(),
                f.run.results().subList(0, 1),
                List.of(new WorstCase(f.run.labels(), f.run.cleanPredictions())),
                f.run.hypocritical(), f.run.hypocriticalEpsilon());
        ReportWriter.write(dir, single, unbroken, f.data);
        String html = Files.readString(dir.resolve(ReportWriter.HTML));
        assertThat(html).contains("No sample was broken", "No sanity check was run")
                .doesNotContain("Dashed:");
        assertThat(html.split("data:image/png;base64,", -1)).as("two charts only").hasSize(3);
        assertThat(Files.readAllLines(dir.resolve(ReportWriter.RESULTS_CSV))).hasSize(ReportFixture.N + 1);
        JsonNode json = STRICT.readTree(dir.resolve(ReportWriter.JSON).toFile());
        assertThat(json.get("attacks")).hasSize(2);
        assertThat(json.get("provenance").isNull()).isTrue();
    }

    /** Field names with an upper-case letter, outside the free-form attack settings maps. */
    static List<String> camelCaseKeys(JsonNode node) {
        List<String> found = new ArrayList<>();
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (!field.getKey().equals(field.getKey().toLowerCase(Locale.ROOT))) {
                    found.add(field.getKey());
                }
                if (!field.getKey().equals("settings")) {
                    found.addAll(camelCaseKeys(field.getValue()));
                }
            }
        } else if (node.isArray()) {
            for (JsonNode element : node) {
                found.addAll(camelCaseKeys(element));
            }
        }
        return found;
    }
}
