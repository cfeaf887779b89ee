package org.parry.experiments;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.parry.Versions;
import org.parry.eval.DefenseComparison.ModelResults;

/**
 * Acceptance tests on the committed numbers of docs/defenses.md ({@code
 * docs/defenses/results.json}, written by {@code ./defense-table}): every claim Parry must meet
 * holds, and every measured model passes the protocol's own consistency checks.
 */
class DefenseClaimsTest {

    private static final Path RESULTS = Path.of("..", "docs", "defenses", "results.json");

    private static Results results() throws Exception {
        assertThat(RESULTS).as("the defense table's committed results (./defense-table writes"
                + " them)").isRegularFile();
        return Results.read(RESULTS);
    }

    @TestFactory
    Stream<DynamicTest> everyRequiredClaimHoldsWhereMeasured() throws Exception {
        Results results = results();
        return DefenseClaims.all().stream().filter(Claim::required).map(claim ->
                DynamicTest.dynamicTest(claim.text(), () -> {
                    Optional<Claim.Verdict> verdict = claim.check().apply(results);
                    verdict.ifPresent(v -> assertThat(v.holds()).as(claim.line(results)).isTrue());
                }));
    }

    @Test
    void theCommittedResultsMeasureTheNewObjectives() throws Exception {
        Results results = results();
        for (String variant : List.of("pgd-at", "iat", "iat-manifold", "trades", "spat", "ladder",
                "jsigr")) {
            assertThat(results.has(DefenseGrid.familyId(variant, 0))).as(variant).isTrue();
        }
        assertThat(results.has(DefenseGrid.noisyId("thrm", 0))).isTrue();
    }

    @Test
    void everyMeasuredModelIsConsistent() throws Exception {
        for (ModelResults model : results().models().values()) {
            model.values().forEach((key, value) -> {
                if (!key.contains("risk") && !key.contains("share") && !key.contains("fraction")) {
                    assertThat(value).as(model.id() + " " + key).isBetween(0.0, 1.0);
                }
            });
            double clean = model.value("clean");
            for (String attacked : List.of("fgsm", "pgd20", "pgd20_cw", "pgd100_r5")) {
                double robust = model.value(attacked);
                if (!Double.isNaN(robust)) {
                    assertThat(robust).as(model.id() + ": " + attacked + " ≤ clean")
                            .isLessThanOrEqualTo(clean);
                }
            }
            double autoAttack = model.value("autoattack");
            double pgd = Math.min(model.value("pgd20"), model.value("pgd20_cw"));
            if (!Double.isNaN(autoAttack) && !Double.isNaN(pgd)) {
                // AutoAttack ran on the first 500 points, PGD-20 on 1000: a small slack
                assertThat(autoAttack).as(model.id() + ": AutoAttack no weaker than PGD-20")
                        .isLessThanOrEqualTo(pgd + 0.03);
            }
        }
    }

    @Test
    void theCommittedPageIsTheRenderingOfTheCommittedResults() throws Exception {
        Path page = Path.of("..", "docs", "defenses.md");
        String committed = Files.readString(page);
        String rendered = new DefensePage(results(), committed, DefenseTable.COMMAND)
                .render(new DefenseGrid(Path.of("runs", "defenses"), false,
                        DefenseTable.AUTOATTACK_POINTS).sections(), Versions.parry(),
                        DefenseTable.AUTOATTACK_POINTS);
        assertThat(rendered).isEqualTo(committed);
    }
}
