package org.parry.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Wilson's interval against published values (Newcombe, Stat. Med. 1998, table I). */
class IntervalTest {

    @Test
    void matchesNewcombesTable() {
        // 81/263: 0.2553-0.3662; 15/148: 0.0624-0.1605; 0/20: 0-0.1611; 1/29: 0.0061-0.1718
        assertClose(Interval.wilson(81, 263), 0.2553, 0.3662);
        assertClose(Interval.wilson(15, 148), 0.0624, 0.1605);
        assertClose(Interval.wilson(0, 20), 0.0, 0.1611);
        assertClose(Interval.wilson(1, 29), 0.0061, 0.1718);
    }

    @Test
    void staysInTheUnitIntervalAndContainsTheEstimate() {
        for (int k = 0; k <= 40; k++) {
            Interval interval = Interval.wilson(k, 40);
            assertThat(interval.low()).isBetween(0.0, k / 40.0);
            assertThat(interval.high()).isBetween(k / 40.0, 1.0);
            assertThat(interval.high() - interval.low()).isPositive();
        }
    }

    @Test
    void refusesImpossibleCounts() {
        assertThatThrownBy(() -> Interval.wilson(3, 2)).hasMessageContaining("got 3 of 2");
        assertThatThrownBy(() -> Interval.wilson(0, 0)).hasMessageContaining("n >= 1");
    }

    private static void assertClose(Interval interval, double low, double high) {
        // the table gives four decimals
        assertThat(interval.low()).isCloseTo(low, within(6e-5));
        assertThat(interval.high()).isCloseTo(high, within(6e-5));
    }
}
