package org.parry.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10ReaderTest {

    private static final int RECORD = Cifar10Reader.RECORD_BYTES;

    @TempDir Path dir;

    /** {@code records} records; record r has label (first + r) % 10 and pixel k = (first + r + k). */
    private static byte[] records(int first, int records) {
        byte[] out = new byte[records * RECORD];
        for (int r = 0; r < records; r++) {
            out[r * RECORD] = (byte) ((first + r) % 10);
            for (int k = 0; k < RECORD - 1; k++) {
                out[r * RECORD + 1 + k] = (byte) (first + r + k);
            }
        }
        return out;
    }

    private void writeAll() throws Exception {
        for (int b = 1; b <= 5; b++) {
            TestData.write(dir.resolve("data_batch_" + b + ".bin"), records(10 * b, 3));
        }
        TestData.write(dir.resolve("test_batch.bin"), records(100, 4));
    }

    @Test
    void roundTripsBothSplitsInChwOrder() throws Exception {
        writeAll();
        ImageDataset train = Cifar10Reader.read(dir, Split.TRAIN);
        assertThat(train.name()).isEqualTo("cifar10");
        assertThat(train.size()).isEqualTo(15);
        assertThat(train.channels()).isEqualTo(3);
        assertThat(train.height()).isEqualTo(32);
        assertThat(train.width()).isEqualTo(32);
        assertThat(train.classNames()).isEqualTo(Cifar10Reader.CLASS_NAMES);
        // Image 4 is record 1 of data_batch_2: first = 21.
        assertThat(train.label(4)).isEqualTo(1);
        float[] image = train.image(4);
        assertThat(image[0]).isEqualTo(21 / 255f);
        assertThat(image[1024]).isEqualTo(((21 + 1024) & 0xFF) / 255f); // first green pixel
        assertThat(image[3071]).isEqualTo(((21 + 3071) & 0xFF) / 255f);

        ImageDataset test = Cifar10Reader.read(dir, Split.TEST);
        assertThat(test.size()).isEqualTo(4);
        assertThat(test.labels()).containsExactly(0, 1, 2, 3);
    }

    @Test
    void readsClassNamesFromTheMetaFile() throws Exception {
        writeAll();
        List<String> names = List.of("a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9");
        Files.writeString(dir.resolve("batches.meta.txt"), String.join("\n", names) + "\n\n",
                StandardCharsets.UTF_8);
        assertThat(Cifar10Reader.read(dir, Split.TEST).classNames()).isEqualTo(names);
        Files.writeString(dir.resolve("batches.meta.txt"), "cat\ndog\n");
        assertThatThrownBy(() -> Cifar10Reader.read(dir, Split.TEST))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("lists 2 class names [cat, dog], expected 10");
    }

    @Test
    void sizeNotAMultipleOfTheRecordSizeIsReported() throws Exception {
        writeAll();
        byte[] content = records(0, 2);
        Path file = TestData.write(dir.resolve("test_batch.bin"),
                Arrays.copyOf(content, content.length - 5));
        DatasetFormatException e = catchThrowableOfType(
                () -> Cifar10Reader.read(dir, Split.TEST), DatasetFormatException.class);
        assertThat(e).hasMessageStartingWith(file + ": ")
                .hasMessageContaining("file size 6141 bytes is not a multiple of 3073")
                .hasMessageContaining("3068 bytes left over");
        assertThat(e.offset()).isEqualTo(3073);
    }

    @Test
    void emptyFileIsReported() throws Exception {
        writeAll();
        TestData.write(dir.resolve("data_batch_3.bin"), new byte[0]);
        assertThatThrownBy(() -> Cifar10Reader.read(dir, Split.TRAIN))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("data_batch_3.bin: file is empty");
    }

    @Test
    void labelByteOutsideTheClassesIsReported() throws Exception {
        writeAll();
        byte[] content = records(0, 3);
        content[2 * RECORD] = (byte) 200;
        TestData.write(dir.resolve("test_batch.bin"), content);
        assertThatThrownBy(() -> Cifar10Reader.read(dir, Split.TEST))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("label byte 200 of record 2 (at offset 6146)")
                .hasMessageContaining("not a CIFAR-10 class (0..9)");
    }

    @Test
    void missingFilesAreListedWithTheExpectedNames() throws Exception {
        TestData.write(dir.resolve("data_batch_1.bin"), records(0, 1));
        TestData.write(dir.resolve("data_batch_2.bin"), records(0, 1));
        assertThatThrownBy(() -> Cifar10Reader.read(dir, Split.TRAIN))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("missing [data_batch_3.bin, data_batch_4.bin,"
                        + " data_batch_5.bin]")
                .hasMessageContaining("expected [data_batch_1.bin")
                .hasMessageContaining("cifar-10-binary.tar.gz");
    }
}
