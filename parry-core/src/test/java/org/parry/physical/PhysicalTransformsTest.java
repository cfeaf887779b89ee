package org.parry.physical;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.parry.data.Batch;
import org.parry.defense.StageRegistry;
import org.parry.defense.purify.GaussianNoise;
import org.parry.defense.purify.JpegCompression;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.Bounds;
import org.parry.model.GradientCheck;
import org.parry.model.Pipeline;
import org.parry.model.Stage;
import org.parry.testing.TestModels;

/**
 * Each photo-like transform computes its equation (against scipy.ndimage where one exists), stays
 * in the box, draws per image from its range with a seed, and passes gradients; the registry
 * spells them with values and ranges and rejects mistakes with the fix.
 */
class PhysicalTransformsTest {

    /** The 5 x 6 image the scipy references below were computed on: ((37 i) mod 23) / 22. */
    private static NDArray pattern(NDManager manager) {
        float[] values = new float[30];
        for (int i = 0; i < values.length; i++) {
            values[i] = ((i * 37) % 23) / 22f;
        }
        return manager.create(values, new Shape(1, 1, 5, 6));
    }

    private static NDArray uniform(NDManager manager, Shape shape, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextDouble();
        }
        return manager.create(values, shape);
    }

    private static float[] apply(Stage stage, NDArray x, long seed) {
        return stage.apply(x, Bounds.UNIT, new SplittableRandom(seed)).toFloatArray();
    }

    @Test
    void brightnessAndContrastMoveEveryPixelAndClip() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(new float[] {0f, 0.2f, 0.5f, 0.95f}, new Shape(1, 1, 2, 2));
            assertThat(apply(Brightness.of(0.1f), x, 0))
                    .containsExactly(new float[] {0.1f, 0.3f, 0.6f, 1f}, within(1e-6f));
            assertThat(apply(Brightness.of(-0.3f), x, 0))
                    .containsExactly(new float[] {0f, 0f, 0.2f, 0.65f}, within(1e-6f));
            assertThat(apply(Contrast.of(1.3f), x, 0))
                    .containsExactly(new float[] {0f, 0.26f, 0.65f, 1f}, within(1e-6f));
            // On the box [-1, 1], δ is a fraction of the width 2 and μ scales from the lower bound.
            Bounds wide = new Bounds(-1f, 1f);
            NDArray y = manager.create(new float[] {-1f, 0f, 0.5f, 1f}, new Shape(1, 1, 2, 2));
            assertThat(Brightness.of(0.1f).apply(y, wide, new SplittableRandom(0)).toFloatArray())
                    .containsExactly(new float[] {-0.8f, 0.2f, 0.7f, 1f}, within(1e-6f));
            assertThat(Contrast.of(0.5f).apply(y, wide, new SplittableRandom(0)).toFloatArray())
                    .containsExactly(new float[] {-1f, -0.5f, -0.25f, 0f}, within(1e-6f));
        }
    }

    @Test
    void aRangeDrawsPerImageFromASeed() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.full(new Shape(50, 1, 3, 3), 0.5f);
            Brightness random = new Brightness(new Range(-0.2f, 0.1f));
            assertThat(random.randomized()).isTrue();
            assertThat(Brightness.of(0.1f).randomized()).isFalse();
            NDArray moved = random.apply(x, Bounds.UNIT, new SplittableRandom(4)).sub(x);
            float[] shifts = moved.get(":, 0, 0, 0").toFloatArray();
            Set<Float> distinct = new HashSet<>();
            for (int image = 0; image < shifts.length; image++) {
                assertThat(shifts[image]).isBetween(-0.2f - 1e-6f, 0.1f + 1e-6f);
                distinct.add(shifts[image]);
                // One δ per image: every pixel of the image moves by it.
                assertThat(moved.get(image).sub(shifts[image]).abs().max().getFloat())
                        .isLessThan(1e-6f);
            }
            assertThat(distinct).as("each image draws its own").hasSize(50);
            assertThat(apply(random, x, 4)).containsExactly(apply(random, x, 4));
            assertThat(apply(random, x, 4)).isNotEqualTo(apply(random, x, 5));
        }
    }

    @Test
    void blurIsScipysGaussianFilterWithNearestEdges() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = pattern(manager);
            // scipy.ndimage.gaussian_filter(x, sigma, mode="nearest", truncate=4.0), scipy 1.17.1
            float[] sigma1 = {0.292774f, 0.422140f, 0.510875f, 0.530200f, 0.424107f, 0.293553f,
                0.453949f, 0.517330f, 0.542990f, 0.502182f, 0.435070f, 0.400385f, 0.585961f,
                0.585505f, 0.541436f, 0.481157f, 0.433599f, 0.392136f, 0.656293f, 0.586600f,
                0.529124f, 0.476885f, 0.405636f, 0.353015f, 0.619730f, 0.548238f, 0.537985f,
                0.468118f, 0.384851f, 0.422878f};
            float[] sigma07 = {0.231977f, 0.436220f, 0.492744f, 0.607580f, 0.422963f, 0.234197f,
                0.471898f, 0.525943f, 0.600972f, 0.502236f, 0.395857f, 0.460672f, 0.573446f,
                0.645973f, 0.545346f, 0.440976f, 0.469897f, 0.401466f, 0.735163f, 0.590453f,
                0.487761f, 0.514920f, 0.405056f, 0.267665f, 0.626145f, 0.481400f, 0.590236f,
                0.482180f, 0.303343f, 0.454068f};
            // 1e-5: float32 products against scipy's float64, printed to six decimals.
            assertThat(apply(GaussianBlur.of(1f), x, 0)).containsExactly(sigma1, within(1e-5f));
            assertThat(apply(GaussianBlur.of(0.7f), x, 0)).containsExactly(sigma07, within(1e-5f));
            assertThat(apply(GaussianBlur.of(0f), x, 0)).containsExactly(x.toFloatArray());
            NDArray flat = manager.full(new Shape(2, 3, 7, 7), 0.3f);
            assertThat(apply(GaussianBlur.of(2f), flat, 0))
                    .containsExactly(flat.toFloatArray(), within(1e-6f));
        }
    }

    @Test
    void affineIsBilinearSamplingAsScipysMapCoordinates() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = pattern(manager);
            // scipy.ndimage.map_coordinates(x, q, order=1, mode="nearest") at the points q of the
            // Javadoc for θ = 30°, s = 1.2, τ = 0.1 on both axes.
            float[] expected = {0.504565f, 0.656080f, 0.414436f, 0.487904f, 0.295906f, 0.755162f,
                0.460774f, 0.544403f, 0.548712f, 0.764181f, 0.633454f, 0.717169f, 0.934502f,
                0.745452f, 0.715445f, 0.571724f, 0.428004f, 0.284283f, 0.570000f, 0.473814f,
                0.282559f, 0.406540f, 0.363939f, 0.482271f, 0.273186f, 0.603492f, 0.574072f,
                0.751406f, 0.538742f, 0.463964f};
            Affine warp = new Affine(Range.of(30f), Range.of(1.2f), Range.of(0.1f));
            assertThat(apply(warp, x, 0)).containsExactly(expected, within(1e-5f));

            NDArray images = uniform(manager, new Shape(2, 3, 6, 6), 1);
            Affine identity = new Affine(Range.of(0f), Range.of(1f), Range.of(0f));
            assertThat(apply(identity, images, 0)).containsExactly(images.toFloatArray());
            // A quarter turn of a square image is a rotation of the pixel grid (clockwise).
            NDArray turned = new Affine(Range.of(90f), Range.of(1f), Range.of(0f))
                    .apply(images, Bounds.UNIT, new SplittableRandom(0));
            assertThat(turned.toFloatArray()).containsExactly(
                    images.rotate90(1, new int[] {3, 2}).toFloatArray(), within(1e-5f));
            // A shift of one pixel to the right and down; the uncovered edge repeats the border.
            NDArray shifted = new Affine(Range.of(0f), Range.of(1f), Range.of(1f / 6f))
                    .apply(images, Bounds.UNIT, new SplittableRandom(0));
            assertThat(shifted.get(":, :, 1:, 1:").toFloatArray()).containsExactly(
                    images.get(":, :, :5, :5").toFloatArray(), within(1e-5f));
            assertThat(shifted.get(":, :, 0, 1:").toFloatArray()).containsExactly(
                    images.get(":, :, 0, :5").toFloatArray(), within(1e-5f));
        }
    }

    @Test
    void colourShiftGivesEachChannelItsOwnGainAndOffset() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.full(new Shape(1, 3, 4, 4), 0.5f);
            ColourShift shift = new ColourShift(new Range(0.8f, 1.2f), new Range(-0.1f, 0.1f));
            NDArray y = shift.apply(x, Bounds.UNIT, new SplittableRandom(2));
            float[] channels = y.get("0, :, 0, 0").toFloatArray();
            assertThat(new HashSet<>(List.of(channels[0], channels[1], channels[2])))
                    .as("three different channels").hasSize(3);
            for (int c = 0; c < 3; c++) {
                assertThat(channels[c]).isBetween(0.5f * 0.8f - 0.1f, 0.5f * 1.2f + 0.1f);
                assertThat(y.get(0, c).sub(channels[c]).abs().max().getFloat()).isLessThan(1e-6f);
            }
            NDArray gray = uniform(manager, new Shape(2, 1, 4, 4), 3);
            NDArray fixed = new ColourShift(Range.of(2f), Range.of(0.1f))
                    .apply(gray, Bounds.UNIT, new SplittableRandom(0));
            assertThat(fixed.toFloatArray()).containsExactly(
                    gray.mul(2f).add(0.1f).clip(0f, 1f).toFloatArray(), within(1e-6f));
        }
    }

    @Test
    void photoChainsRandomTransformsInTheBoxAndPassesGradients() {
        try (NDManager manager = NDManager.newBaseManager();
                Pipeline photographed = Pipeline.builder(TestModels.syntheticCnn())
                        .add(Photo.standard()).seed(3).build()) {
            Photo photo = Photo.standard();
            assertThat(photo.randomized()).isTrue();
            assertThat(photo.settings().keySet())
                    .containsExactly("colour", "affine", "blur", "contrast", "brightness", "noise");
            NDArray x = uniform(manager, new Shape(4, 3, 12, 12), 6);
            float[] first = apply(photo, x, 1);
            assertThat(apply(photo, x, 1)).as("a seed fixes the draws").containsExactly(first);
            assertThat(apply(photo, x, 2)).isNotEqualTo(first);
            NDArray y = photo.apply(x, Bounds.UNIT, new SplittableRandom(1));
            assertThat(y.min().getFloat()).isGreaterThanOrEqualTo(0f);
            assertThat(y.max().getFloat()).isLessThanOrEqualTo(1f);
            double moved = y.sub(x).abs().mean().getFloat();
            assertThat(moved).as("a photo changes the image, a little").isBetween(0.01, 0.3);

            Batch batch = TestModels.syntheticTest().batch(manager, 0, 8);
            // Directions one at a time on the same batch (the batched estimate would stack copies,
            // and each row of a bigger batch draws its own transform).
            double error = GradientCheck.maxRelativeError(photographed.withFixedRandomness(4),
                    batch.x(), batch.y(), CrossEntropyLoss.get(), 8, 1e-3f, 1);
            assertThat(error).as("autograd through the whole chain").isLessThan(0.05);

            assertThatThrownBy(() -> new Photo(List.of(Brightness.of(0.1f), new JpegCompression(75))))
                    .hasMessageContaining("'jpeg' is not differentiable");
            assertThatThrownBy(() -> new Photo(List.of(Brightness.of(0.1f), Brightness.of(0.2f))))
                    .hasMessageContaining("'brightness' appears twice");
        }
    }

    @Test
    void theRegistrySpellsValuesAndRanges() {
        assertThat(StageRegistry.create("blur:sigma=2")).isEqualTo(GaussianBlur.of(2f));
        assertThat(StageRegistry.create("blur:sigma=0.5..1.5"))
                .isEqualTo(new GaussianBlur(new Range(0.5f, 1.5f)));
        assertThat(StageRegistry.create("brightness:delta=-0.12")).isEqualTo(Brightness.of(-0.12f));
        assertThat(StageRegistry.create("contrast")).isEqualTo(Contrast.of(1.3f));
        assertThat(StageRegistry.create("affine:rotation=-5..5,scale=1.05"))
                .isEqualTo(new Affine(new Range(-5f, 5f), Range.of(1.05f), Range.of(0f)));
        assertThat(StageRegistry.create("colour").randomized()).isTrue();
        Photo quiet = (Photo) StageRegistry.create("photo:noise=0,rotation=10");
        assertThat(quiet.settings()).doesNotContainKey("noise");
        assertThat(quiet.settings().get("affine").toString()).contains("rotation=-10.0..10.0");
        assertThat(StageRegistry.create("photo")).isEqualTo(Photo.standard());
        assertThat(Photo.standard().parts()).contains(new GaussianNoise(0.02f));

        assertThatThrownBy(() -> StageRegistry.transform("blur:sigma=2..1"))
                .hasMessage("a range needs finite from <= to, got 2.0..1.0");
        assertThatThrownBy(() -> StageRegistry.transform("blur:sigma=wide"))
                .hasMessageContaining("setting sigma=wide is neither a number nor a range FROM..TO");
        assertThatThrownBy(() -> StageRegistry.transform("brightness:delta=2"))
                .hasMessage("brightness: delta must lie in [-1.0, 1.0], got 2.0");
        assertThatThrownBy(() -> StageRegistry.transform("photo:rot=3"))
                .hasMessage("transform 'photo' has no setting(s) [rot]; its settings are [rotation,"
                        + " scale, shift, blur, contrast, brightness, colour, colourOffset, noise]");
        assertThatThrownBy(() -> StageRegistry.transform("sharpen"))
                .hasMessageStartingWith("unknown transform 'sharpen'; choose one of [");
        assertThatThrownBy(() -> StageRegistry.transform("photo:noise=-1"))
                .hasMessage("photo: noise must be >= 0, got -1.0");
    }
}
