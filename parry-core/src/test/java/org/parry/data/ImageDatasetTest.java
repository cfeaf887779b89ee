package org.parry.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImageDatasetTest {

    /** Five 1×2×3 images; image i has pixels 6i .. 6i+5 and label i % 3. */
    private static ImageDataset five() {
        byte[] pixels = new byte[30];
        for (int k = 0; k < pixels.length; k++) {
            pixels[k] = (byte) k;
        }
        return new ImageDataset("five", 1, 2, 3, pixels, new int[] {0, 1, 2, 0, 1},
                List.of("a", "b", "c"));
    }

    @Test
    void exposesItsShapeAndLabels() {
        ImageDataset data = five();
        assertThat(data.name()).isEqualTo("five");
        assertThat(data.size()).isEqualTo(5);
        assertThat(data.imageShape()).isEqualTo(new Shape(1, 2, 3));
        assertThat(data.numClasses()).isEqualTo(3);
        assertThat(data.classNames()).containsExactly("a", "b", "c");
        assertThat(data.label(2)).isEqualTo(2);
        assertThat(data.labels()).containsExactly(0, 1, 2, 0, 1);
        assertThat(data.image(1)).containsExactly(6 / 255f, 7 / 255f, 8 / 255f, 9 / 255f,
                10 / 255f, 11 / 255f);
    }

    @Test
    void isImmutable() {
        byte[] pixels = new byte[6];
        int[] labels = {1};
        ImageDataset data = new ImageDataset("x", 1, 2, 3, pixels, labels, List.of("a", "b"));
        pixels[0] = 100;
        labels[0] = 0;
        data.labels()[0] = 0;
        assertThat(data.image(0)[0]).isZero();
        assertThat(data.label(0)).isEqualTo(1);
        assertThatThrownBy(() -> data.classNames().add("c"))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void rejectsPixelsThatDoNotMatchTheShape() {
        assertThatThrownBy(() -> new ImageDataset("x", 1, 2, 3, new byte[7], new int[] {0},
                List.of("a")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pixels")
                .hasMessageContaining("6 bytes, got 7");
    }

    @Test
    void rejectsLabelsOutsideTheClasses() {
        assertThatThrownBy(() -> new ImageDataset("x", 1, 1, 1, new byte[2], new int[] {0, 7},
                List.of("a", "b")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("labels[1] = 7")
                .hasMessageContaining("[0, 2)");
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> new ImageDataset(" ", 1, 1, 1, new byte[1], new int[] {0},
                List.of("a")))
                .hasMessageContaining("name");
        assertThatThrownBy(() -> new ImageDataset("x", 0, 1, 1, new byte[1], new int[] {0},
                List.of("a")))
                .hasMessageContaining("channels must be positive, got 0");
        assertThatThrownBy(() -> new ImageDataset("x", 1, 1, 1, new byte[0], new int[0],
                List.of("a")))
                .hasMessageContaining("at least one image");
        assertThatThrownBy(() -> new ImageDataset("x", 1, 1, 1, new byte[1], new int[] {0},
                List.of()))
                .hasMessageContaining("classNames");
    }

    @Test
    void firstTakesAPrefixAndRejectsTooMany() {
        ImageDataset first = five().first(2);
        assertThat(first.size()).isEqualTo(2);
        assertThat(first.labels()).containsExactly(0, 1);
        assertThat(first.image(1)).isEqualTo(five().image(1));
        assertThatThrownBy(() -> five().first(10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("first 10 images")
                .hasMessageContaining("has 5");
        assertThatThrownBy(() -> five().first(0)).hasMessageContaining("valid: 1..5");
    }

    @Test
    void selectKeepsTheGivenOrderAndAllowsRepeats() {
        ImageDataset picked = five().select(new int[] {4, 0, 4});
        assertThat(picked.labels()).containsExactly(1, 0, 1);
        assertThat(picked.image(0)).isEqualTo(five().image(4));
        assertThat(picked.image(2)).isEqualTo(five().image(4));
        assertThatThrownBy(() -> five().select(new int[] {1, 5}))
                .hasMessageContaining("indices[1] = 5 is outside [0, 5)");
        assertThatThrownBy(() -> five().select(new int[0])).hasMessageContaining("indices");
    }

    @Test
    void shuffleIsASeededPermutation() {
        ImageDataset data = TestData.random(200, 1, 2, 2, 10, 3);
        ImageDataset a = data.shuffled(42);
        ImageDataset b = data.shuffled(42);
        ImageDataset c = data.shuffled(43);
        assertThat(a.sha256()).isEqualTo(b.sha256());
        assertThat(a.sha256()).isNotEqualTo(c.sha256()).isNotEqualTo(data.sha256());
        int[] sortedOriginal = data.labels();
        int[] sortedShuffled = a.labels();
        Arrays.sort(sortedOriginal);
        Arrays.sort(sortedShuffled);
        assertThat(sortedShuffled).isEqualTo(sortedOriginal);
        // The same permutation moves images and labels together.
        ImageDataset tagged = five().shuffled(7);
        for (int i = 0; i < tagged.size(); i++) {
            int original = Math.round(tagged.image(i)[0] * 255f) / 6;
            assertThat(tagged.label(i)).isEqualTo(original % 3);
        }
    }

    @Test
    void batchesAreFloat32PixelsAndInt32Labels() {
        ImageDataset data = TestData.random(10, 3, 4, 5, 4, 1);
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = data.batch(manager, 2, 9);
            assertThat(batch.size()).isEqualTo(7);
            assertThat(batch.x().getShape()).isEqualTo(new Shape(7, 3, 4, 5));
            assertThat(batch.x().getDataType()).isEqualTo(DataType.FLOAT32);
            assertThat(batch.y().getShape()).isEqualTo(new Shape(7));
            assertThat(batch.y().getDataType()).isEqualTo(DataType.INT32);
            assertThat(batch.x().min().getFloat()).isGreaterThanOrEqualTo(0f);
            assertThat(batch.x().max().getFloat()).isLessThanOrEqualTo(1f);
            assertThat(batch.x().get(0).toFloatArray()).isEqualTo(data.image(2));
            assertThat(batch.y().toIntArray()).isEqualTo(Arrays.copyOfRange(data.labels(), 2, 9));
            assertThat(batch.x().getManager()).isSameAs(manager);
        }
    }

    @Test
    void extremePixelsMapToZeroAndOne() {
        ImageDataset data = new ImageDataset("x", 1, 1, 2, new byte[] {0, (byte) 255},
                new int[] {0}, List.of("a"));
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThat(data.batch(manager, 0, 1).x().toFloatArray()).containsExactly(0f, 1f);
        }
    }

    @Test
    void batchNumbersCoverTheDataSetAndTheLastMayBeSmaller() {
        ImageDataset data = TestData.random(10, 1, 2, 2, 3, 5);
        assertThat(data.numBatches(4)).isEqualTo(3);
        assertThat(data.numBatches(10)).isEqualTo(1);
        assertThat(data.numBatches(11)).isEqualTo(1);
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThat(data.batchNumber(manager, 0, 4).size()).isEqualTo(4);
            Batch last = data.batchNumber(manager, 2, 4);
            assertThat(last.size()).isEqualTo(2);
            assertThat(last.y().toIntArray()).containsExactly(data.label(8), data.label(9));
            assertThatThrownBy(() -> data.batchNumber(manager, 3, 4))
                    .hasMessageContaining("batch 3 does not exist")
                    .hasMessageContaining("3 batches");
            assertThatThrownBy(() -> data.batch(manager, 5, 5))
                    .hasMessageContaining("0 <= from < to <= 10");
            assertThatThrownBy(() -> data.batch(manager, 0, 11)).hasMessageContaining("[0, 11)");
        }
        assertThatThrownBy(() -> data.numBatches(0))
                .hasMessageContaining("batchSize must be positive, got 0");
    }

    @Test
    void sha256CoversPixelsThenBigEndianLabels() throws Exception {
        ImageDataset data = five();
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] pixels = new byte[30];
        for (int k = 0; k < pixels.length; k++) {
            pixels[k] = (byte) k;
        }
        digest.update(pixels);
        ByteBuffer labels = ByteBuffer.allocate(20);
        for (int label : new int[] {0, 1, 2, 0, 1}) {
            labels.putInt(label);
        }
        digest.update(labels.array());
        assertThat(data.sha256()).isEqualTo(HexFormat.of().formatHex(digest.digest()));
        ImageDataset relabelled = new ImageDataset("five", 1, 2, 3, pixels,
                new int[] {0, 1, 2, 0, 2}, List.of("a", "b", "c"));
        assertThat(relabelled.sha256()).isNotEqualTo(data.sha256());
    }

    @Test
    void batchRecordValidatesShapes() {
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> new Batch(manager.zeros(new Shape(2, 1, 2, 2)),
                    manager.zeros(new Shape(3))))
                    .hasMessageContaining("y must be [2]");
            assertThatThrownBy(() -> new Batch(manager.zeros(new Shape(2, 4)),
                    manager.zeros(new Shape(2))))
                    .hasMessageContaining("x must be [N, C, H, W]");
        }
    }
}
