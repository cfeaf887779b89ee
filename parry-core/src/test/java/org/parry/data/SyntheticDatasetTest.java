package org.parry.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SyntheticDatasetTest {

    @Test
    void isDeterministic() {
        ImageDataset a = SyntheticDataset.generate(300, 10, 1, 28, 28, 5);
        ImageDataset b = SyntheticDataset.generate(300, 10, 1, 28, 28, 5);
        ImageDataset c = SyntheticDataset.generate(300, 10, 1, 28, 28, 6);
        assertThat(a.sha256()).isEqualTo(b.sha256()).isNotEqualTo(c.sha256());
        assertThat(a.name()).isEqualTo("synthetic");
        assertThat(a.classNames()).hasSize(10).startsWith("class-0");
    }

    @Test
    void labelsAreBalanced() {
        int[] counts = new int[7];
        for (int label : SyntheticDataset.generate(71, 7, 1, 9, 9, 1).labels()) {
            counts[label]++;
        }
        assertThat(counts).containsOnly(10, 11);
    }

    @Test
    void classMeansDifferClearly() {
        ImageDataset data = SyntheticDataset.generate(1000, 10, 1, 28, 28, 3);
        float[][] means = means(data);
        for (int a = 0; a < 10; a++) {
            for (int b = a + 1; b < 10; b++) {
                assertThat(distance(means[a], means[b])).as("classes %d and %d", a, b)
                        .isGreaterThan(2f);
            }
        }
    }

    @Test
    void isLearnableFromOneSeedToAnother() {
        // A nearest-class-mean classifier stands in for a small CNN.
        float[][] means = means(SyntheticDataset.generate(2000, 10, 1, 28, 28, 1));
        ImageDataset test = SyntheticDataset.generate(500, 10, 1, 28, 28, 2);
        int correct = 0;
        for (int i = 0; i < test.size(); i++) {
            float[] image = test.image(i);
            int best = 0;
            for (int c = 1; c < 10; c++) {
                if (distance(image, means[c]) < distance(image, means[best])) {
                    best = c;
                }
            }
            correct += best == test.label(i) ? 1 : 0;
        }
        assertThat(correct / (double) test.size()).isGreaterThan(0.95);
    }

    @Test
    void pixelsCoverTheRangeAndColourWorks() {
        ImageDataset rgb = SyntheticDataset.generate(20, 3, 3, 8, 6, 9);
        assertThat(rgb.channels()).isEqualTo(3);
        float min = 1;
        float max = 0;
        for (int i = 0; i < rgb.size(); i++) {
            for (float v : rgb.image(i)) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        assertThat(min).isEqualTo(0f);
        assertThat(max).isGreaterThan(0.9f);
    }

    @Test
    void rejectsSizesWithoutRoomForEveryClass() {
        assertThatThrownBy(() -> SyntheticDataset.generate(10, 10, 1, 3, 28, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("height must be at least 4, got 3");
        assertThatThrownBy(() -> SyntheticDataset.generate(0, 10, 1, 28, 28, 1))
                .hasMessage("n must be at least 1, got 0");
    }

    private static float[][] means(ImageDataset data) {
        int size = data.channels() * data.height() * data.width();
        float[][] sums = new float[data.numClasses()][size];
        int[] counts = new int[data.numClasses()];
        for (int i = 0; i < data.size(); i++) {
            float[] image = data.image(i);
            int c = data.label(i);
            counts[c]++;
            for (int k = 0; k < size; k++) {
                sums[c][k] += image[k];
            }
        }
        for (int c = 0; c < sums.length; c++) {
            for (int k = 0; k < size; k++) {
                sums[c][k] /= counts[c];
            }
        }
        return sums;
    }

    private static float distance(float[] a, float[] b) {
        float sum = 0;
        for (int k = 0; k < a.length; k++) {
            sum += (a[k] - b[k]) * (a[k] - b[k]);
        }
        return (float) Math.sqrt(sum);
    }
}
