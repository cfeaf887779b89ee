package org.parry.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SplitTest {

    @Test
    void parsesIgnoringCaseAndSpaces() {
        assertThat(Split.parse("train")).isEqualTo(Split.TRAIN);
        assertThat(Split.parse(" TEST ")).isEqualTo(Split.TEST);
        assertThat(Split.TEST.id()).isEqualTo("test");
    }

    @Test
    void rejectsUnknownValuesListingTheValidOnes() {
        assertThatThrownBy(() -> Split.parse("validation"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("split: unknown value 'validation', expected one of train, test");
        assertThatThrownBy(() -> Split.parse(null)).hasMessageContaining("'null'");
    }
}
