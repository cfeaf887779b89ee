package org.parry.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Batch sizes bounded by the data and by memory, with no gigabytes allocated to find out. */
class BatchSizeTest {

    private static final ImageDataset DATA = TestData.random(50, 1, 28, 28, 10, 1);

    @Test
    void aBatchLargerThanTheDataIsClamped() {
        assertThat(BatchSize.check(1_000_000, DATA, 1L << 40)).isEqualTo(50);
        assertThat(BatchSize.check(16, DATA, 1L << 40)).isEqualTo(16);
    }

    @Test
    void aBatchThatDoesNotFitInMemoryIsRefusedWithASizeThatFits() {
        // 28x28 floats x 200 copies = 627 200 bytes per image; 10 MB hold 16 images.
        assertThatThrownBy(() -> BatchSize.check(1_000_000, DATA, 10L << 20))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--batch-size 1000000 needs about 29 MB for 50 images of 1x28x28,"
                        + " more than the 10 MB available; use --batch-size 16 or less (128 is a"
                        + " good default)");
        assertThat(BatchSize.check(16, DATA, 10L << 20)).isEqualTo(16);
        assertThatThrownBy(() -> BatchSize.check(0, DATA, 1L << 40))
                .hasMessage("--batch-size must be >= 1, got 0");
        assertThat(BatchSize.availableBytes()).isPositive();
    }
}
