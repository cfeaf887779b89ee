package org.parry.attack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
        return AttackRegistry.create(name, new AttackOptions(norm, epsilon, steps, 0, Map.of()));
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
}
