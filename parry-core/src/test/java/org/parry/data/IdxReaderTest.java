package org.parry.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

    private static final int IMAGES = IdxReader.IMAGES_MAGIC;
    private static final int LABELS = IdxReader.LABELS_MAGIC;

    @TempDir Path dir;

    @Test
    void roundTripsGzipFiles() throws Exception {
        roundTrip(true);
    }

    @Test
    void roundTripsRawFiles() throws Exception {
        roundTrip(false);
    }

    private void roundTrip(boolean gzip) throws Exception {
        ImageDataset original = TestData.random(37, 1, 28, 28, 10, gzip ? 1 : 2);
        Path images = dir.resolve("images.idx");
        Path labels = dir.resolve("labels.idx");
        IdxWriter.write(original, images, labels, gzip);
        byte[] start = Arrays.copyOf(Files.readAllBytes(images), 2);
        assertThat(start[0] == (byte) 0x1f && start[1] == (byte) 0x8b).isEqualTo(gzip);

        ImageDataset read = IdxReader.read(images, labels, "round-trip", TestData.names(10));
        assertThat(read.name()).isEqualTo("round-trip");
        assertThat(read.size()).isEqualTo(37);
        assertThat(read.channels()).isEqualTo(1);
        assertThat(read.height()).isEqualTo(28);
        assertThat(read.width()).isEqualTo(28);
        assertThat(read.labels()).isEqualTo(original.labels());
        assertThat(read.sha256()).isEqualTo(original.sha256());

        IdxImages raw = IdxReader.readImages(images);
        assertThat(raw.count()).isEqualTo(37);
        assertThat(raw.rows()).isEqualTo(28);
        assertThat(raw.cols()).isEqualTo(28);
        assertThat(IdxReader.readLabels(labels)).isEqualTo(original.labels());
    }

    @Test
    void keepsNonSquareImagesInRowMajorOrder() throws Exception {
        byte[] pixels = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        Path images = dir.resolve("images");
        Path labels = dir.resolve("labels");
        IdxWriter.writeImages(images, 2, 3, pixels, false);
        IdxWriter.writeLabels(labels, new int[] {1, 0}, true);
        ImageDataset read = IdxReader.read(images, labels, "x", List.of("a", "b"));
        assertThat(read.height()).isEqualTo(2);
        assertThat(read.width()).isEqualTo(3);
        assertThat(read.image(1)[0]).isEqualTo(7 / 255f);
    }

    // ---- corrupt files ---------------------------------------------------------------------

    @Test
    void truncatedRawImagesFileSaysHowManyBytesAreMissing() throws Exception {
        Path images = TestData.write(dir.resolve("images"),
                TestData.concat(TestData.header(IMAGES, 10, 28, 28), new byte[10 * 784 - 100]));
        DatasetFormatException e = catchThrowableOfType(
                () -> IdxReader.readImages(images), DatasetFormatException.class);
        assertThat(e).hasMessageStartingWith(images + ": ")
                .hasMessageContaining("truncated")
                .hasMessageContaining("10 images of 28x28")
                .hasMessageContaining("100 bytes are missing");
        assertThat(e.path()).isEqualTo(images);
        assertThat(e.offset()).isEqualTo(16 + 10 * 784 - 100);
    }

    @Test
    void truncatedGzipSaysHowManyBytesAreMissing() throws Exception {
        ImageDataset data = TestData.random(50, 1, 28, 28, 10, 4);
        Path images = dir.resolve("images.gz");
        IdxWriter.write(data, images, dir.resolve("labels.gz"), true);
        byte[] gz = Files.readAllBytes(images);
        Files.write(images, Arrays.copyOf(gz, gz.length / 2));
        assertThatThrownBy(() -> IdxReader.readImages(images))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("gzip stream is truncated")
                .hasMessageContaining("50 images of 28x28 = 39200 bytes")
                .hasMessageContaining("bytes are missing");
    }

    @Test
    void gzipWithoutItsTrailerIsTruncated() throws Exception {
        byte[] gz = TestData.gzip(TestData.concat(TestData.header(LABELS, 3), new byte[] {0, 1, 2}));
        Path labels = TestData.write(dir.resolve("labels.gz"), Arrays.copyOf(gz, gz.length - 8));
        assertThatThrownBy(() -> IdxReader.readLabels(labels))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("gzip trailer is missing");
    }

    @Test
    void wrongMagicNumberIsExplained() throws Exception {
        Path images = TestData.write(dir.resolve("zeros"), new byte[100]);
        assertThatThrownBy(() -> IdxReader.readImages(images))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessage(images + ": bad magic number 0x00000000 at offset 0, expected"
                        + " 0x00000803 (IDX unsigned-byte images); is this an MNIST/Fashion-MNIST"
                        + " file?");
    }

    @Test
    void labelsFileGivenAsImagesSuggestsASwap() throws Exception {
        Path labels = dir.resolve("labels");
        IdxWriter.writeLabels(labels, new int[] {1, 2, 3}, true);
        DatasetFormatException e = catchThrowableOfType(
                () -> IdxReader.read(labels, labels, "x", TestData.names(10)),
                DatasetFormatException.class);
        assertThat(e).hasMessageContaining("bad magic number 0x00000801")
                .hasMessageContaining("expected 0x00000803")
                .hasMessageContaining("swapped");
        assertThat(e.expected()).contains("0x00000803");
        Path images = dir.resolve("images");
        IdxWriter.writeImages(images, 2, 2, new byte[4], false);
        assertThatThrownBy(() -> IdxReader.readLabels(images))
                .hasMessageContaining("this is an IDX images file");
    }

    @Test
    void otherIdxElementTypesAreNamed() throws Exception {
        Path floats = TestData.write(dir.resolve("floats"),
                TestData.concat(TestData.header(0x00000D03, 1, 1, 1), new byte[4]));
        assertThatThrownBy(() -> IdxReader.readImages(floats))
                .hasMessageContaining("element type 0x0d with 3 dimensions")
                .hasMessageContaining("unsigned bytes (type 0x08)");
    }

    @Test
    void dimensionsThatDoNotMatchTheSizeAreRejected() throws Exception {
        // 3 images of 28x28 written, but the header says 27 rows.
        Path images = TestData.write(dir.resolve("images"),
                TestData.concat(TestData.header(IMAGES, 3, 27, 28), new byte[3 * 784]));
        assertThatThrownBy(() -> IdxReader.readImages(images))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("trailing garbage: 84 bytes")
                .hasMessageContaining("3 images of 27x28")
                .hasMessageContaining("do not match the file's size");
    }

    @Test
    void trailingGarbageInsideGzipIsRejected() throws Exception {
        byte[] content = TestData.concat(TestData.header(LABELS, 4), new byte[] {1, 2, 3, 4},
                "garbage".getBytes(StandardCharsets.US_ASCII));
        Path labels = TestData.write(dir.resolve("labels.gz"), TestData.gzip(content));
        assertThatThrownBy(() -> IdxReader.readLabels(labels))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("trailing garbage: 7 bytes follow the 4 payload bytes");
    }

    @Test
    void absurdCountFailsFastWithoutAllocating() throws Exception {
        Path images = TestData.write(dir.resolve("absurd"),
                TestData.concat(TestData.header(IMAGES, Integer.MAX_VALUE, 28, 28), new byte[84]));
        long allocated = allocatedBy(() -> {
            DatasetFormatException e = catchThrowableOfType(
                    () -> IdxReader.readImages(images), DatasetFormatException.class);
            assertThat(e).hasMessageContaining("item count = 2147483647")
                    .hasMessageContaining("outside [1, 100000000]");
            assertThat(e.offset()).isEqualTo(4);
        });
        assertThat(allocated).isLessThan(4L << 20);
    }

    /** {@code --n 10} on a gzip whose header promises 2.7 M images reads ten and stops. */
    @Test
    void aLimitReadsOnlyWhatItNeedsAndStopsEarly() throws Exception {
        int promised = 2_700_000;
        byte[] pixels = new byte[12 * 28 * 28];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i / 784);
        }
        Path images = TestData.write(dir.resolve("images.gz"), TestData.gzip(
                TestData.concat(TestData.header(IMAGES, promised, 28, 28), pixels)));
        Path labels = TestData.write(dir.resolve("labels.gz"), TestData.gzip(TestData.concat(
                TestData.header(LABELS, promised), new byte[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1})));
        ImageDataset[] read = new ImageDataset[1];
        long allocated = allocatedBy(() -> {
            try {
                read[0] = IdxReader.read(images, labels, "lying", TestData.names(10), 10);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(allocated).isLessThan(16L << 20);
        assertThat(read[0].size()).isEqualTo(10);
        assertThat(read[0].labels()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(read[0].image(9)[0]).isEqualTo(9 / 255f);

        // More than the file holds: the header's promise is checked against what can be read.
        assertThatThrownBy(() -> IdxReader.read(images, labels, "lying", TestData.names(10), 20))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageStartingWith(labels + ": ")
                .hasMessageContaining("gzip stream is truncated")
                .hasMessageContaining("2700000 labels");
        assertThatThrownBy(() -> IdxReader.read(images, labels, "lying", TestData.names(10), 0))
                .hasMessage("limit must be >= 1, got 0");
    }

    @Test
    void bigPromiseInATinyGzipIsReadWithABoundedBuffer() throws Exception {
        // One million 28x28 images promised (784 MB), 1000 bytes present.
        byte[] content = TestData.concat(TestData.header(IMAGES, 1_000_000, 28, 28), new byte[1000]);
        Path images = TestData.write(dir.resolve("promise.gz"), TestData.gzip(content));
        long allocated = allocatedBy(() -> assertThatThrownBy(() -> IdxReader.readImages(images))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("gzip stream is truncated")
                .hasMessageContaining("data ends after 1000; 783999000 bytes are missing"));
        assertThat(allocated).isLessThan(16L << 20);
    }

    @Test
    void payloadLargerThanAnArrayIsRejectedFromTheHeader() throws Exception {
        Path images = TestData.write(dir.resolve("huge"),
                TestData.concat(TestData.header(IMAGES, 100_000_000, 4096, 4096), new byte[8]));
        Assertions.assertTimeoutPreemptively(Duration.ofSeconds(5), () ->
                assertThatThrownBy(() -> IdxReader.readImages(images))
                        .isInstanceOf(DatasetFormatException.class)
                        .hasMessageContaining("more than one array can hold"));
    }

    @Test
    void zeroOrOversizedSidesAreRejected() throws Exception {
        Path zeroRows = TestData.write(dir.resolve("zero"),
                TestData.concat(TestData.header(IMAGES, 1, 0, 28)));
        assertThatThrownBy(() -> IdxReader.readImages(zeroRows))
                .hasMessageContaining("rows = 0 at offset 8 is outside [1, 4096]");
        Path wide = TestData.write(dir.resolve("wide"),
                TestData.concat(TestData.header(IMAGES, 1, 1, 5000)));
        assertThatThrownBy(() -> IdxReader.readImages(wide))
                .hasMessageContaining("cols = 5000");
    }

    @Test
    void emptyOrHeaderOnlyFilesAreTruncated() throws Exception {
        Path empty = TestData.write(dir.resolve("empty"), new byte[0]);
        assertThatThrownBy(() -> IdxReader.readImages(empty))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("ends inside the IDX header");
        Path partial = TestData.write(dir.resolve("partial"),
                Arrays.copyOf(TestData.header(IMAGES, 1, 2, 2), 10));
        assertThatThrownBy(() -> IdxReader.readImages(partial))
                .hasMessageContaining("ends inside the IDX header (before byte 12)");
    }

    @Test
    void imageAndLabelCountsMustMatch() throws Exception {
        Path images = dir.resolve("images");
        Path labels = dir.resolve("labels");
        IdxWriter.writeImages(images, 2, 2, new byte[5 * 4], true);
        IdxWriter.writeLabels(labels, new int[] {0, 1, 0, 1, 0, 1}, true);
        assertThatThrownBy(() -> IdxReader.read(images, labels, "x", TestData.names(2)))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("count mismatch")
                .hasMessageContaining("holds 5 images")
                .hasMessageContaining("holds 6 labels");
    }

    @Test
    void labelsOutsideTheClassRangeAreRejected() throws Exception {
        Path images = dir.resolve("images");
        Path labels = dir.resolve("labels");
        IdxWriter.writeImages(images, 2, 2, new byte[4 * 4], false);
        IdxWriter.writeLabels(labels, new int[] {0, 9, 3, 12}, false);
        DatasetFormatException e = catchThrowableOfType(
                () -> IdxReader.read(images, labels, "fashion-mnist", TestData.names(10)),
                DatasetFormatException.class);
        assertThat(e).hasMessageStartingWith(labels.toString())
                .hasMessageContaining("label 12 of example 3")
                .hasMessageContaining("out of range")
                .hasMessageContaining("10 classes");
        assertThat(e.offset()).isEqualTo(11);
    }

    @Test
    void corruptGzipDataIsReported() throws Exception {
        byte[] gz = TestData.gzip(TestData.concat(TestData.header(LABELS, 2000), randomBytes(2000)));
        for (int k = 20; k < 60; k++) {
            gz[k] ^= (byte) 0x5a;
        }
        Path labels = TestData.write(dir.resolve("corrupt.gz"), gz);
        assertThatThrownBy(() -> IdxReader.readLabels(labels))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("gzip");
    }

    @Test
    void damagedGzipHeaderIsReported() throws Exception {
        Path file = TestData.write(dir.resolve("bad.gz"), new byte[] {0x1f, (byte) 0x8b, 1});
        assertThatThrownBy(() -> IdxReader.readImages(file))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("gzip header is damaged");
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        new Random(11).nextBytes(bytes);
        return bytes;
    }

    /** Bytes allocated on this thread while {@code body} runs. */
    private static long allocatedBy(Runnable body) {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(id);
        body.run();
        return threads.getThreadAllocatedBytes(id) - before;
    }
}
