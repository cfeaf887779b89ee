package org.parry.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SavedModelTest {

    static ModelCard card(String architecture) {
        return new ModelCard(ModelCard.FORMAT, architecture, 8, "relu", 1, new int[] {1, 28, 28},
                List.of("a", "b", "c"), new Normalization(new float[] {0.3f}, new float[] {0.4f}),
                "synthetic", "abc", Map.of("epochs", 1), Map.of("test_accuracy", 0.5), 7,
                "test", "2026-01-01T00:00:00Z");
    }

    @Test
    void saveAndLoadGiveTheSameLogitsAndCard(@TempDir Path dir) throws IOException {
        try (BlockClassifier model = SavedModel.create(card("small-cnn"), 7);
                NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomUniform(0f, 1f, new Shape(3, 1, 28, 28));
            SavedModel.save(dir, model, card("small-cnn"));
            try (BlockClassifier loaded = SavedModel.load(dir)) {
                assertThat(loaded.logits(x).toFloatArray()).containsExactly(model.logits(x).toFloatArray());
                assertThat(loaded.numClasses()).isEqualTo(3);
            }
            ModelCard read = SavedModel.readCard(dir.resolve(SavedModel.CARD_FILE));
            assertThat(read.normalization()).isEqualTo(card("small-cnn").normalization());
            assertThat(read.metrics()).containsEntry("test_accuracy", 0.5);
            assertThat(read.training()).containsEntry("epochs", 1);
            assertThat(Models.load(dir, new Shape(1, 28, 28)).name()).isEqualTo("small-cnn");
        }
    }

    @Test
    void normalizationIsPartOfTheModel(@TempDir Path dir) {
        ModelCard identity = new ModelCard(ModelCard.FORMAT, "linear", 0, "relu", 1, new int[] {1, 28, 28},
                List.of("a", "b"), Normalization.identity(1), "s", null, null, null, 7, "t", null);
        ModelCard shifted = new ModelCard(ModelCard.FORMAT, "linear", 0, "relu", 1, new int[] {1, 28, 28},
                List.of("a", "b"), new Normalization(new float[] {0.5f}, new float[] {0.25f}),
                "s", null, null, null, 7, "t", null);
        try (BlockClassifier plain = SavedModel.create(identity, 7);
                BlockClassifier normalized = SavedModel.create(shifted, 7);
                NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomUniform(0f, 1f, new Shape(2, 1, 28, 28));
            // Same weights (same seed): the normalized model sees (x - 0.5) / 0.25.
            float[] expected = plain.logits(x.sub(0.5f).div(0.25f)).toFloatArray();
            assertThat(normalized.logits(x).toFloatArray())
                    .containsExactly(expected, org.assertj.core.data.Offset.offset(1e-4f));
        }
    }

    @Test
    void corruptOrMismatchedFilesGiveClearErrors(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> SavedModel.load(dir))
                .hasMessageContaining("no Parry model here");
        try (BlockClassifier model = SavedModel.create(card("small-cnn"), 7)) {
            SavedModel.save(dir, model, card("small-cnn"));
        }
        byte[] weights = Files.readAllBytes(dir.resolve(SavedModel.WEIGHTS_FILE));
        Files.write(dir.resolve(SavedModel.WEIGHTS_FILE), java.util.Arrays.copyOf(weights, weights.length / 2));
        assertThatThrownBy(() -> SavedModel.load(dir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("weights.params")
                .hasMessageContaining("corrupt or belongs to another architecture");

        Files.write(dir.resolve(SavedModel.WEIGHTS_FILE), weights);
        String json = Files.readString(dir.resolve(SavedModel.CARD_FILE));
        Files.writeString(dir.resolve(SavedModel.CARD_FILE), json.replace("small-cnn", "madry-cnn"));
        assertThatThrownBy(() -> SavedModel.load(dir))
                .hasMessageContaining("cannot read the weights of a 'madry-cnn' model");

        Files.writeString(dir.resolve(SavedModel.CARD_FILE), "{ not json");
        assertThatThrownBy(() -> SavedModel.load(dir))
                .hasMessageContaining("not a valid Parry model card");

        Files.writeString(dir.resolve(SavedModel.CARD_FILE), json.replace("small-cnn", "vgg"));
        assertThatThrownBy(() -> SavedModel.load(dir))
                .hasMessageContaining("unknown architecture 'vgg'");
    }
}
