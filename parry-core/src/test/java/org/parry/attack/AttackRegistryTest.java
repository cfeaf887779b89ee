package org.parry.attack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.parry.norm.Norm;

/**
 * The registry rejects every option the attack would ignore, for every caller (CLI, suites,
 * configuration): settings it has no use for, an ε for a minimum-norm attack, steps for a
 * one-step attack, and a norm other than that of a single-norm attack.
 */
class AttackRegistryTest {

    private static Attack create(String name, Norm norm, Float epsilon, Integer steps) {
        return create(name, norm, epsilon, steps, Map.of());
    }

    private static Attack create(String name, Norm norm, Float epsilon, Integer steps,
            Map<String, String> settings) {
        return AttackRegistry.create(name, new AttackOptions(norm, epsilon, steps, 0, settings));
    }

    @Test
    void aThreatModelGivesBoundedAttacksItsBudgetAndMinimumNormOnesTheirOwnNorm() {
        Attack pgd = AttackRegistry.createForThreat("pgd", Norm.LINF, 0.1f, 0);
        assertThat(pgd.settings()).containsEntry("norm", "linf");
        assertThat(((Number) pgd.settings().get("epsilon")).floatValue()).isEqualTo(0.1f);
        Attack cw = AttackRegistry.createForThreat("cw-l2", Norm.LINF, 0.1f, 0);
        assertThat(cw.settings()).doesNotContainKey("epsilon");
        assertThat(cw.settings()).isEqualTo(AttackRegistry.create("cw-l2",
                new AttackOptions(null, null, null, 0, Map.of())).settings());
        assertThatThrownBy(() -> AttackRegistry.createForThreat("nope", Norm.LINF, 0.1f, 0))
                .hasMessageStartingWith("unknown attack 'nope'");
    }

    @Test
    void anEpsilonForAMinimumNormAttackIsAnError() {
        assertThatThrownBy(() -> create("deepfool", null, 0.1f, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("attack 'deepfool' has no epsilon (it finds minimal perturbations);"
                        + " remove --eps");
        for (String name : new String[] {"cw-l2", "cw-linf", "cw-l0"}) {
            assertThatThrownBy(() -> create(name, null, 0.1f, null))
                    .as(name).hasMessageStartingWith("attack '" + name + "' has no epsilon");
        }
        // FAB is minimum-norm without ε and bounded with it: it reads ε either way.
        assertThat(create("fab", Norm.L2, 0.5f, null).settings()).containsEntry("epsilon", 0.5f);
        assertThat(create("fab", Norm.L2, null, null).settings()).doesNotContainKey("epsilon");
    }

    @Test
    void stepsForAOneStepAttackAreAnError() {
        for (String name : new String[] {"fgsm", "fgm", "rand-fgsm"}) {
            assertThatThrownBy(() -> create(name, null, 0.1f, 5))
                    .as(name).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("attack '" + name + "' has no steps (it takes one step);"
                            + " remove --steps");
        }
        assertThat(create("bim", null, 0.1f, 5).settings()).containsEntry("steps", 5);
    }

    @Test
    void aNormOtherThanASingleNormAttacksOwnIsAnError() {
        assertThatThrownBy(() -> create("fgsm", Norm.L2, 0.1f, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("attack 'fgsm' attacks in linf only, not l2; remove --norm or choose"
                        + " an attack for l2");
        assertThatThrownBy(() -> create("cw-l2", Norm.LINF, null, null))
                .hasMessageStartingWith("attack 'cw-l2' attacks in l2 only, not linf");
        assertThatThrownBy(() -> create("cw-l0", Norm.L2, null, null))
                .hasMessageStartingWith("attack 'cw-l0' attacks in l0 only, not l2");
        // Its own norm, given explicitly, is fine.
        assertThat(create("cw-l2", Norm.L2, null, null).settings()).containsEntry("norm", "l2");
        assertThat(create("fgsm", Norm.LINF, 0.1f, null).settings()).containsEntry("norm", "linf");
    }

    @Test
    void attacksWithAChoiceOfNormTakeTheGivenOneOrTheirDefault() {
        assertThat(create("pgd", Norm.L2, 0.5f, 10).settings()).containsEntry("norm", "l2")
                .containsEntry("epsilon", 0.5f).containsEntry("steps", 10);
        assertThat(create("pgd", null, 0.1f, null).settings()).containsEntry("norm", "linf");
        // DeepFool is the paper's (and torchattacks') L2 attack unless told otherwise.
        assertThat(create("deepfool", null, null, null)).isEqualTo(DeepFool.l2());
        assertThat(create("deepfool", Norm.LINF, null, null).settings()).containsEntry("norm", "linf");
        // FGM is the L2 attack unless told otherwise; under linf it is FGSM's step.
        assertThat(create("fgm", null, 0.5f, null).settings()).containsEntry("norm", "l2");
        assertThat(create("fgm", Norm.LINF, 0.1f, null).settings()).containsEntry("norm", "linf");
        assertThatThrownBy(() -> create("alt-pgd", Norm.L2, 0.1f, null))
                .hasMessageContaining("alt-pgd is a linf attack");
    }

    @Test
    void pgdAndBimStepsAreAQuarterOfEpsilonFromTenToFortySteps() {
        // 40 steps: max(2.5 * 0.1 / 40, 0.1 / 4) = 0.025, the step measured stronger than 2.5 eps/40.
        assertThat(create("pgd", null, 0.1f, null)).isEqualTo(Pgd.builder(Norm.LINF, 0.1f).build());
        assertThat(create("pgd", null, 0.1f, null).settings()).containsEntry("steps", 40)
                .containsEntry("stepSize", 0.025f);
        assertThat(create("pgd", null, 0.1f, 20).settings()).containsEntry("stepSize", 0.025f);
        // Beyond 40 steps the path stays 10 eps long: 100 steps of 0.01, Madry et al.'s evaluation.
        assertThat((float) create("pgd", null, 0.1f, 100).settings().get("stepSize"))
                .isCloseTo(0.01f, within(1e-8f));
        // Fewer than 10 steps keep 2.5 eps / steps, so they still cross the ball.
        assertThat(create("pgd", Norm.L2, 1f, 5).settings()).containsEntry("stepSize", 0.5f);
        assertThat(create("pgd", null, 0.1f, null, Map.of("stepSize", "0.01")).settings())
                .containsEntry("stepSize", 0.01f);
        // At torchattacks' eps = 8/255 the defaults are torchattacks' own: 10 steps of 2/255.
        float eps = 8f / 255f;
        Attack pgd = create("pgd", null, eps, 10);
        assertThat((float) pgd.settings().get("stepSize")).isCloseTo(2f / 255f, within(1e-7f));
        Bim bim = (Bim) create("bim", null, eps, null);
        assertThat(bim.steps()).isEqualTo(10);
        assertThat(bim.stepSize()).isCloseTo(2f / 255f, within(1e-7f));
        assertThat(bim).isEqualTo(Bim.of(eps));
        // eps = 0.1: the paper's min(25.5 + 4, 31.875) -> 30 steps, now of eps/4 (paper: 1/255).
        assertThat(Bim.of(0.1f)).isEqualTo(new Bim(0.1f, 0.025f, 30));
        assertThat(Bim.paper(0.1f)).isEqualTo(new Bim(0.1f, 1f / 255f, 30));
        assertThat(create("bim", null, 0.1f, 5).settings()).containsEntry("stepSize", 0.05f);
    }
}
