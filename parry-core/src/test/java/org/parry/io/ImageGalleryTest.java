package org.parry.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PNG gallery: layout size, enlarged tiles with the exact grey levels, validation. */
class ImageGalleryTest {

    @Test
    void enlargesSmallImagesByAnIntegerFactor() {
        assertThat(gallery(1, 28, 28, 1, 8).scale()).isEqualTo(3);
        assertThat(gallery(3, 32, 32, 1, 8).scale()).isEqualTo(3);
        assertThat(gallery(1, 100, 50, 1, 8).scale()).isEqualTo(1);
    }

    @Test
    void drawsThreeRowsPerGroupOfColumns(@TempDir Path dir) throws IOException {
        ImageGallery sixteen = gallery(1, 28, 28, 16, 8);
        BufferedImage image = sixteen.render();
        assertThat(image.getWidth()).isGreaterThanOrEqualTo(8 * 84);
        assertThat(image.getHeight()).isGreaterThanOrEqualTo(2 * 3 * 84);

        BufferedImage eight = gallery(1, 28, 28, 8, 8).render();
        assertThat(eight.getWidth()).isEqualTo(image.getWidth());
        assertThat(eight.getHeight()).isLessThan(image.getHeight());

        Path png = dir.resolve("nested").resolve("gallery.png");
        sixteen.write(png);
        BufferedImage read = ImageIO.read(png.toFile());
        assertThat(read.getWidth()).isEqualTo(image.getWidth());
        assertThat(read.getHeight()).isEqualTo(image.getHeight());
    }

    /**
     * Clean pixels 0.4 (grey 102) appear as a full 84×84 block; the perturbation, +0.2 on the left
     * half and -0.2 on the right, is amplified to white and black halves.
     */
    @Test
    void tilesShowCleanPixelsAndTheAmplifiedPerturbation() {
        float[] clean = new float[28 * 28];
        Arrays.fill(clean, 0.4f);
        float[] adversarial = clean.clone();
        for (int row = 0; row < 28; row++) {
            for (int col = 0; col < 28; col++) {
                adversarial[row * 28 + col] += col < 14 ? 0.2f : -0.2f;
            }
        }
        BufferedImage image = new ImageGallery("t", 1, 28, 28, 8, List.of(
                new ImageGallery.Sample(clean, adversarial, "a", "a", "b", null))).render();
        assertThat(count(image, grey(0.4f))).isGreaterThanOrEqualTo(84 * 84);
        assertThat(count(image, 0x000000)).isGreaterThanOrEqualTo(42 * 84);
        // 0.6 and 0.2 are the adversarial image's two halves.
        assertThat(count(image, grey(0.6f))).isGreaterThanOrEqualTo(42 * 84);
        assertThat(count(image, grey(0.2f))).isGreaterThanOrEqualTo(42 * 84);
    }

    @Test
    void colourImagesKeepTheirChannels() {
        float[] red = new float[3 * 4 * 4];
        Arrays.fill(red, 0, 16, 1f);
        BufferedImage image = new ImageGallery("rgb", 3, 4, 4, 8, List.of(
                new ImageGallery.Sample(red, red, "x", "x", "x", "y"))).render();
        int scale = 84 / 4;
        assertThat(count(image, 0xFF0000)).isGreaterThanOrEqualTo(2 * 16 * scale * scale);
    }

    @Test
    void rejectsSamplesOfTheWrongSize() {
        float[] small = new float[10];
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> new ImageGallery("t", 1, 28, 28, 8,
                        List.of(new ImageGallery.Sample(small, small, "a", "a", "a", null))));
        assertThat(error).hasMessageContaining("samples[0]").hasMessageContaining("784");
        assertThrows(IllegalArgumentException.class,
                () -> new ImageGallery.Sample(new float[3], new float[4], "a", "a", "a", null));
        assertThrows(IllegalArgumentException.class, () -> new ImageGallery("t", 1, 28, 28, 8, List.of()));
    }

    private static ImageGallery gallery(int channels, int height, int width, int count, int columns) {
        List<ImageGallery.Sample> samples = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            float[] clean = new float[channels * height * width];
            for (int k = 0; k < clean.length; k++) {
                clean[k] = (k % 7) / 7f;
            }
            float[] adversarial = clean.clone();
            adversarial[0] = Math.min(1f, adversarial[0] + 0.1f);
            samples.add(new ImageGallery.Sample(clean, adversarial, "Ankle boot", "Ankle boot",
                    i % 2 == 0 ? "Sneaker" : "Ankle boot", null));
        }
        return new ImageGallery("pgd linf ε=0.1 on small-cnn", channels, height, width, columns, samples);
    }

    private static int grey(float value) {
        int level = Math.round(value * 255f);
        return (level << 16) | (level << 8) | level;
    }

    private static int count(BufferedImage image, int rgb) {
        int count = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                count += (image.getRGB(x, y) & 0xFFFFFF) == rgb ? 1 : 0;
            }
        }
        return count;
    }
}
