package org.parry.experiments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.parry.eval.DefenseComparison.ModelResults;

class ClaimTest {

    @Test
    void aClaimedEffectIsReproducedOnlyWhenTheIntervalClearsZeroAndTheMeanReachesIt() {
        // +3, +4, +5 points: mean 4, sd 1, t(2) = 4.303, half-width 2.48
        Claim.Verdict reproduced = Claim.Verdict.effect(new double[] {0.03, 0.04, 0.05}, 2, "");
        assertThat(reproduced.holds()).isTrue();
        assertThat(reproduced.word()).isEqualTo("reproduced");
        assertThat(reproduced.evidence()).isEqualTo("+4.0 pts, 95% CI [+1.5, +6.5] over 3 seeds");

        Claim.Verdict wide = Claim.Verdict.effect(new double[] {-0.02, 0.04, 0.10}, 2, "");
        assertThat(wide.holds()).isFalse();
        assertThat(wide.word()).isEqualTo("inconclusive");

        Claim.Verdict below = Claim.Verdict.effect(new double[] {-0.05, -0.04, -0.06}, 2, "x");
        assertThat(below.word()).isEqualTo("not at this scale");
        assertThat(below.evidence()).endsWith("; x");

        Claim.Verdict single = Claim.Verdict.effect(new double[] {0.12}, 10, "");
        assertThat(single.holds()).isTrue();
        assertThat(single.evidence()).isEqualTo("+12.0 pts, 1 seed");
    }

    @Test
    void seedStatisticsMatchTheirDefinitions() {
        double[] v = {0.70, 0.72, 0.77};
        assertThat(Seeds.mean(v)).isCloseTo(0.73, within(1e-12));
        assertThat(Seeds.sd(v)).isCloseTo(Math.sqrt((0.03 * 0.03 + 0.01 * 0.01 + 0.04 * 0.04) / 2),
                within(1e-12));
        assertThat(Seeds.halfWidth(v)).isCloseTo(4.303 * Seeds.sd(v) / Math.sqrt(3), within(1e-12));
        assertThat(Seeds.cell(v)).isEqualTo("73.0 ± 3.6");
        assertThat(Seeds.cell(new double[] {0.5})).isEqualTo("50.0");
        assertThat(Seeds.cell(new double[0])).isEqualTo("–");
        assertThat(Seeds.halfWidth(new double[] {0.5})).isNaN();
    }

    @Test
    void aLineSaysNotMeasuredUntilItsNumbersExist() {
        Claim claim = new Claim("family", "X beats Y", false, r -> r.has("x")
                ? Optional.of(Claim.Verdict.of(r.value("x", "clean") > 0.5, "%.2f",
                        r.value("x", "clean")))
                : Optional.empty());
        Results none = new Results(Map.of());
        assertThat(claim.line(none)).isEqualTo("- X beats Y: not measured yet.");
        Results some = none.with(new ModelResults("x", "r", new ModelResults.Training(1, 1, 1,
                "onednn", List.of()), Map.of("clean", 0.75), Map.of(), Map.of()));
        assertThat(claim.line(some)).isEqualTo("- X beats Y: **yes** (0.75).");
    }

    @Test
    void pairedDifferencesSkipSeedsWhereEitherSideIsMissing() {
        Results results = new Results(Map.of())
                .with(model("a0", 0.8)).with(model("b0", 0.7))
                .with(model("a1", 0.9)).with(model("b2", 0.6));
        assertThat(results.differences(List.of("a0", "a1", "a2"), List.of("b0", "b1", "b2"),
                "clean")).containsExactly(0.8 - 0.7);
        assertThat(results.values(List.of("a0", "a1", "a2"), "clean")).containsExactly(0.8, 0.9);
    }

    private static ModelResults model(String id, double clean) {
        return new ModelResults(id, "r", new ModelResults.Training(1, 1, 1, "onednn", List.of()),
                Map.of("clean", clean), Map.of(), Map.of());
    }
}
