package org.parry.experiments;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.parry.eval.DefenseComparison.ModelResults;
import org.parry.train.EpochMetrics;

class DefensePageTest {

    private static final DefenseGrid GRID = new DefenseGrid(Path.of("runs", "defenses"), false, 500);

    private static ModelResults model(String id, Map<String, Double> values, double imagesPerSecond) {
        return new ModelResults(id, "a recipe", new ModelResults.Training(10, imagesPerSecond, 0.8,
                "onednn", List.of(new EpochMetrics(1, 0.5, 0.8, 1e-3, 10, imagesPerSecond,
                        Map.of()))), values, Map.of("autoattack", Map.of()), Map.of());
    }

    @Test
    void aMeasuredSectionIsRenderedWithItsClaimsVerdicts() {
        Results results = new Results(Map.of())
                .with(model("standard", Map.of("clean", 0.9, "pgd20", 0.05), 1000))
                .with(model("pgd-at", Map.of("clean", 0.79, "pgd20", 0.62, "autoattack", 0.58),
                        100))
                .with(model("fgsm-rs", Map.of("clean", 0.83, "pgd20", 0.50, "autoattack", 0.45),
                        500));

        String page = new DefensePage(results, "", "./defense-table").render(
                List.of(GRID.main()), "test", 500);

        assertThat(page).contains("| PGD-10 AT (Madry 2018) | 0.790 | – | 0.620 | – | 0.580 |")
                .contains("| standard training | 0.900 |")
                .contains("- PGD-AT reaches PGD-20 ≥ 0.55 with clean ≥ 0.75: **yes** (0.620 / 0.790;"
                        + " the standard model's PGD-20 is 0.050).")
                .contains("- FGSM-RS within 5 points of PGD-AT on PGD-20: **no** (difference"
                        + " -0.120, at 20% of PGD-AT's cost per image")
                .contains("- Distillation looks robust to softmax-CE PGD and falls to the C&W loss"
                        + " (PGD-20 CW at least 0.3 below PGD-20 CE): not measured yet.")
                .doesNotContain("ensemble AT");
    }

    @Test
    void anUnmeasuredSectionKeepsThePreviousTextAndSaysSo() {
        String previous = "# Defenses, measured\n\nold intro\n\n## " + GRID.main().heading()
                + "\n\nold numbers | 0.621 |\n\n## Something else\n\ngone\n";

        String page = new DefensePage(new Results(Map.of()), previous, "./defense-table")
                .render(List.of(GRID.main(), GRID.madry()), "test", 500);

        assertThat(page).contains("## " + GRID.main().heading() + "\n\nold numbers | 0.621 |\n\n")
                .contains("The section \"" + GRID.main().heading() + "\" was measured by an"
                        + " earlier version")
                .contains("## " + GRID.madry().heading() + "\n\nNot measured yet"
                        + " (`./defense-table madry`).")
                .doesNotContain("old intro").doesNotContain("gone");
    }

    @Test
    void sectionsSplitAtSecondLevelHeadings() {
        Map<String, String> sections = DefensePage.sections("# T\n\nintro\n\n## A\n\na\n\n## B\nb\n");
        assertThat(sections).containsOnlyKeys("## A", "## B");
        assertThat(sections.get("## A")).isEqualTo("## A\n\na\n\n");
        assertThat(sections.get("## B")).isEqualTo("## B\nb\n\n");
    }
}
