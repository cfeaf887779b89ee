package org.parry.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SelfTestTest {

    @Test
    void theKernelsParryUsesPassOnThisMachine() {
        SelfTest.Result result = SelfTest.run(true);

        assertThat(result.failures()).as(result.worst().toString()).isEmpty();
        assertThat(result.checks()).hasSize(38);
        assertThat(result.checks()).allMatch(check -> check.error() < check.limit() / 10,
                "every honest kernel is ten times inside its limit");
    }

    @Test
    void aWrongOrNotFiniteResultFails() {
        SelfTest.Check right = new SelfTest.Check("right", 1e-7, SelfTest.FLOAT32_LIMIT);
        SelfTest.Check wrong = new SelfTest.Check("wrong", 0.15, SelfTest.FLOAT32_LIMIT);
        SelfTest.Check notFinite = new SelfTest.Check("NaN", Double.NaN, SelfTest.FLOAT32_LIMIT);
        SelfTest.Result result = new SelfTest.Result(List.of(right, wrong, notFinite), true, 1);

        assertThat(right.passed()).isTrue();
        assertThat(wrong.passed()).isFalse();
        assertThat(notFinite.passed()).isFalse();
        assertThat(result.passed()).isFalse();
        assertThat(result.worst()).isEqualTo(notFinite);
        EngineCheck.Verdict verdict = EngineCheck.of(result, null, "key");
        assertThat(verdict.summary()).startsWith("FAILED (1/3 checks; worst: NaN: NaN");
    }

    @Test
    void theKernelsWithoutTheBypassAreRightOrTheVerdictBypassesThem() {
        SelfTest.Result standard = SelfTest.run(false);
        EngineCheck.Verdict verdict = EngineCheck.verdict();

        assertThat(verdict.bypassOneDnn()).as(verdict.summary()).isEqualTo(!standard.passed());
        if (verdict.bypassOneDnn()) {
            assertThat(verdict.summary()).contains("bypass oneDNN, whose own failed here");
        }
    }

    @Test
    void theVerdictIsCachedPerMachineAndEngine() {
        EngineCheck.Verdict verdict = EngineCheck.verdict();

        assertThat(verdict.passed()).as(verdict.summary()).isTrue();
        assertThat(verdict.key()).isEqualTo(EngineCheck.key()).hasSize(16);
        assertThat(EngineCheck.verdict()).isSameAs(verdict);
    }
}
