package org.parry.defense.purify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.parry.defense.StageRegistry;
import org.parry.model.Bounds;
import org.parry.model.Stage;

/** Each input transform does what its paper says, on small arrays with known answers. */
class StagesTest {

    private static final SplittableRandom RANDOM = new SplittableRandom(0);

    private static NDArray random(NDManager manager, int n, int c, int h, int w, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[n * c * h * w];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextDouble();
        }
        return manager.create(values, new Shape(n, c, h, w));
    }

    @Test
    void oneBitMapsTheLowerHalfToZeroAndTheUpperToOne() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(new float[] {0f, 0.2f, 0.499f, 0.5f, 0.7f, 1f}, new Shape(1, 1, 2, 3));
            float[] y = new BitDepthReduction(1).apply(x, Bounds.UNIT, RANDOM).toFloatArray();
            assertThat(y).containsExactly(0f, 0f, 0f, 1f, 1f, 1f);
            NDArray levels = new BitDepthReduction(3).apply(random(manager, 2, 1, 5, 5, 1), Bounds.UNIT, RANDOM);
            for (float v : levels.toFloatArray()) {
                assertThat(v * 7f).isCloseTo(Math.round(v * 7f), org.assertj.core.data.Offset.offset(1e-5f));
            }
            // Another box is mapped to [0, 1] and back: 1 bit on [-1, 1] splits at 0.
            NDArray wide = manager.create(new float[] {-0.9f, -0.1f, 0.1f, 0.9f}, new Shape(1, 1, 2, 2));
            assertThat(new BitDepthReduction(1).apply(wide, new Bounds(-1f, 1f), RANDOM).toFloatArray())
                    .containsExactly(-1f, -1f, 1f, 1f);
        }
    }

    @Test
    void medianMatchesScipysMedianFilter() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = random(manager, 2, 3, 6, 7, 2);
            for (int size : new int[] {2, 3, 4}) {
                float[] got = new MedianSmoothing(size).apply(x, Bounds.UNIT, RANDOM).toFloatArray();
                assertThat(got).as("size %d", size).containsExactly(reference(x.toFloatArray(), 2, 3, 6, 7, size));
            }
        }
    }

    /** scipy.ndimage.median_filter(mode="reflect", origin=0) per image and channel, by brute force. */
    private static float[] reference(float[] x, int n, int c, int h, int w, int size) {
        float[] out = new float[x.length];
        int first = -(size / 2);
        for (int plane = 0; plane < n * c; plane++) {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    float[] window = new float[size * size];
                    int k = 0;
                    for (int a = first; a < first + size; a++) {
                        for (int b = first; b < first + size; b++) {
                            window[k++] = x[plane * h * w + reflect(i + a, h) * w + reflect(j + b, w)];
                        }
                    }
                    Arrays.sort(window);
                    out[plane * h * w + i * w + j] = window[size * size / 2];
                }
            }
        }
        return out;
    }

    private static int reflect(int i, int size) {
        return i < 0 ? -i - 1 : i >= size ? 2 * size - i - 1 : i;
    }

    @Test
    void jpegKeepsSmoothImagesAndRemovesFineNoise() {
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] smooth = new float[3 * 16 * 16];
            for (int i = 0; i < smooth.length; i++) {
                int row = (i / 16) % 16;
                smooth[i] = 0.2f + 0.6f * row / 15f;
            }
            NDArray image = manager.create(smooth, new Shape(1, 3, 16, 16));
            NDArray gray = image.get(":, 0:1");
            for (NDArray x : new NDArray[] {gray, image}) {
                NDArray kept = new JpegCompression(95).apply(x, Bounds.UNIT, RANDOM);
                assertThat(kept.sub(x).abs().max().getFloat()).as("quality 95 on a smooth ramp")
                        .isLessThan(0.03f);
                NDArray noise = random(manager, 1, (int) x.getShape().get(1), 16, 16, 3).sub(0.5f).mul(0.1f);
                NDArray noisy = x.add(noise);
                NDArray cleaned = new JpegCompression(10).apply(noisy, Bounds.UNIT, RANDOM);
                assertThat(cleaned.sub(x).norm().getFloat()).as("quality 10 removes most of the noise")
                        .isLessThan(0.6f * noise.norm().getFloat());
                assertThat(cleaned.min().getFloat()).isGreaterThanOrEqualTo(0f);
                assertThat(cleaned.max().getFloat()).isLessThanOrEqualTo(1f);
            }
            assertThatThrownBy(() -> new JpegCompression(75).apply(random(manager, 1, 2, 8, 8, 4), Bounds.UNIT, RANDOM))
                    .hasMessage("jpeg compresses images of 1 or 3 channels, got 2");
        }
    }

    @Test
    void resizePadMovesPixelsAndPadsWithTheLowerBound() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = random(manager, 2, 1, 10, 10, 5).add(0.5f);
            Bounds box = new Bounds(0f, 2f);
            assertThat(new RandomResizePad(1f).apply(x, box, new SplittableRandom(1)).toFloatArray())
                    .as("scale 1 is the identity").containsExactly(x.toFloatArray());
            float[] pixels = x.toFloatArray();
            java.util.Set<Integer> sizes = new java.util.HashSet<>();
            SplittableRandom random = new SplittableRandom(2);
            for (int draw = 0; draw < 20; draw++) {
                float[] y = new RandomResizePad(0.7f).apply(x, box, random).toFloatArray();
                int padded = 0;
                for (float v : y) {
                    if (v == 0f) {
                        padded++;
                    } else {
                        assertThat(pixels).contains(v);
                    }
                }
                sizes.add(padded);
            }
            assertThat(sizes).as("random sizes and offsets").hasSizeGreaterThan(2);
        }
    }

    @Test
    void noiseHasTheStandardDeviationItPromises() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.full(new Shape(4, 1, 32, 32), 0.5f);
            NDArray moved = new GaussianNoise(0.05f).apply(x, Bounds.UNIT, new SplittableRandom(3)).sub(x);
            double std = Math.sqrt(moved.square().mean().getFloat());
            assertThat(std).isBetween(0.047, 0.053);
        }
    }

    @Test
    void theRegistryParsesSpecsAndRejectsTypos() {
        Stage jpeg = StageRegistry.create("jpeg:quality=60");
        assertThat(jpeg).isEqualTo(new JpegCompression(60));
        assertThat(StageRegistry.create("bit-depth")).isEqualTo(new BitDepthReduction(1));
        assertThat(StageRegistry.create("resize-pad:minScale=0.8")).isNotNull();
        assertThatThrownBy(() -> StageRegistry.create("jpeg:qualty=60"))
                .hasMessage("defense 'jpeg' has no setting(s) [qualty]; its settings are [quality]");
        assertThatThrownBy(() -> StageRegistry.create("blurr"))
                .hasMessageStartingWith("unknown defense 'blurr'; choose one of [bit-depth, median");
        assertThatThrownBy(() -> StageRegistry.create("median:size=12"))
                .hasMessage("median: size must be in 2..9, got 12");
    }
}
