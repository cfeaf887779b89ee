package org.parry.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderReaderTest {

    @TempDir Path root;

    private static BufferedImage grey(int width, int height, long seed) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        Random random = new Random(seed);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.getRaster().setSample(x, y, 0, random.nextInt(256));
            }
        }
        return image;
    }

    private static BufferedImage rgb(int width, int height, long seed) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(seed);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return image;
    }

    private Path save(BufferedImage image, String classFolder, String file) throws Exception {
        Path path = root.resolve(classFolder).resolve(file);
        Files.createDirectories(path.getParent());
        ImageIO.write(image, file.endsWith(".jpg") ? "jpeg" : "png", path.toFile());
        return path;
    }

    @Test
    void roundTripsGreyPngsExactly() throws Exception {
        BufferedImage[] images = {grey(6, 4, 1), grey(6, 4, 2), grey(6, 4, 3)};
        save(images[0], "zebra", "b.png");
        save(images[1], "zebra", "a.png");
        save(images[2], "ant", "only.png");
        ImageDataset data = ImageFolderReader.read(root, 1, 4, 6);
        assertThat(data.classNames()).containsExactly("ant", "zebra");
        assertThat(data.labels()).containsExactly(0, 1, 1);
        assertThat(data.size()).isEqualTo(3);
        // Sorted: ant/only.png, zebra/a.png, zebra/b.png.
        int[] order = {2, 1, 0};
        for (int i = 0; i < 3; i++) {
            float[] pixels = data.image(i);
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 6; x++) {
                    assertThat(pixels[y * 6 + x])
                            .isEqualTo(images[order[i]].getRaster().getSample(x, y, 0) / 255f);
                }
            }
        }
    }

    @Test
    void roundTripsRgbPngsInChwOrder() throws Exception {
        BufferedImage image = rgb(5, 3, 7);
        save(image, "one", "x.png");
        ImageDataset data = ImageFolderReader.read(root, 3, 3, 5);
        float[] pixels = data.image(0);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 5; x++) {
                int rgb = image.getRGB(x, y);
                int k = y * 5 + x;
                assertThat(pixels[k]).isEqualTo(((rgb >> 16) & 0xFF) / 255f);
                assertThat(pixels[15 + k]).isEqualTo(((rgb >> 8) & 0xFF) / 255f);
                assertThat(pixels[30 + k]).isEqualTo((rgb & 0xFF) / 255f);
            }
        }
    }

    @Test
    void convertsBetweenGreyAndRgb() throws Exception {
        BufferedImage red = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 2; x++) {
                red.setRGB(x, y, 0xFF0000);
            }
        }
        save(red, "red", "r.png");
        assertThat(ImageFolderReader.read(root, 1, 2, 2).image(0)).containsOnly(76 / 255f);

        BufferedImage grey = grey(2, 2, 3);
        save(grey, "red", "s.png");
        float[] asRgb = ImageFolderReader.read(root, 3, 2, 2).image(1);
        float value = grey.getRaster().getSample(1, 0, 0) / 255f;
        assertThat(new float[] {asRgb[1], asRgb[5], asRgb[9]}).containsOnly(value);
    }

    @Test
    void resizesToTheRequestedSize() throws Exception {
        BufferedImage flat = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                flat.getRaster().setSample(x, y, 0, x < 4 ? 40 : 200);
            }
        }
        save(flat, "a", "flat.png");
        ImageDataset small = ImageFolderReader.read(root, 1, 2, 2);
        assertThat(small.height()).isEqualTo(2);
        assertThat(small.image(0)).containsExactly(40 / 255f, 200 / 255f, 40 / 255f, 200 / 255f);
        ImageDataset large = ImageFolderReader.read(root, 1, 16, 32);
        float[] row = Arrays.copyOf(large.image(0), 32);
        for (int x = 1; x < 32; x++) {
            assertThat(row[x]).isGreaterThanOrEqualTo(row[x - 1]);
        }
        assertThat(row[0]).isEqualTo(40 / 255f);
        assertThat(row[31]).isEqualTo(200 / 255f);
    }

    @Test
    void readsJpegs() throws Exception {
        BufferedImage flat = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                flat.setRGB(x, y, 0x808080);
            }
        }
        save(flat, "a", "flat.jpg");
        for (float value : ImageFolderReader.read(root, 3, 8, 8).image(0)) {
            assertThat(value).isCloseTo(128 / 255f, offset(0.02f));
        }
    }

    /** A 40000x40000 PNG header on a few bytes is refused from the header, before decoding. */
    @Test
    void aHugeDeclaredSizeIsRefusedBeforeDecoding() throws Exception {
        save(grey(2, 2, 1), "a", "huge.png");
        Path file = root.resolve("a/huge.png");
        byte[] png = Files.readAllBytes(file);
        // IHDR: length(4) "IHDR"(4) width(4) height(4) ... at offset 8; rewrite the sizes and CRC.
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap(png);
        bytes.putInt(16, 40_000).putInt(20, 40_000);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(png, 12, 4 + 13);
        bytes.putInt(12 + 4 + 13, (int) crc.getValue());
        Files.write(file, png);
        long before = usedHeap();
        assertThatThrownBy(() -> ImageFolderReader.read(root, 1, 2, 2))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageStartingWith(file + ": ")
                .hasMessageContaining("image declares 40000x40000 = 1600000000 pixels")
                .hasMessageContaining("refused before decoding");
        assertThat(usedHeap() - before).isLessThan(64L << 20);
    }

    private static long usedHeap() {
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }

    @Test
    void skipsHiddenFiles() throws Exception {
        save(grey(2, 2, 1), "a", "x.png");
        Files.writeString(root.resolve("a/.DS_Store"), "not an image");
        assertThat(ImageFolderReader.read(root, 1, 2, 2).size()).isEqualTo(1);
    }

    @Test
    void aNonImageFileIsNamed() throws Exception {
        save(grey(2, 2, 1), "a", "x.png");
        Path notes = Files.writeString(root.resolve("a/notes.txt"), "hello");
        assertThatThrownBy(() -> ImageFolderReader.read(root, 1, 2, 2))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageStartingWith(notes + ": ")
                .hasMessageContaining("not a readable image");
    }

    @Test
    void aDamagedPngIsNamed() throws Exception {
        Path png = save(grey(16, 16, 1), "a", "x.png");
        byte[] bytes = Files.readAllBytes(png);
        Files.write(png, Arrays.copyOf(bytes, 40));
        assertThatThrownBy(() -> ImageFolderReader.read(root, 1, 16, 16))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageStartingWith(png + ": ");
    }

    @Test
    void emptyFoldersAreClearErrors() throws Exception {
        assertThatThrownBy(() -> ImageFolderReader.read(root, 1, 2, 2))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("no class sub-folders found");
        Files.createDirectories(root.resolve("empty-class"));
        save(grey(2, 2, 1), "full", "x.png");
        assertThatThrownBy(() -> ImageFolderReader.read(root, 1, 2, 2))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("class folder 'empty-class' holds no image files");
        assertThatThrownBy(() -> ImageFolderReader.read(root.resolve("nope"), 1, 2, 2))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("not a folder");
        assertThatThrownBy(() -> ImageFolderReader.read(root, 2, 2, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("channels must be 1 (grey) or 3 (RGB), got 2");
    }
}
