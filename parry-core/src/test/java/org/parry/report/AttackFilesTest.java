package org.parry.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.attack.Fgsm;
import org.parry.eval.AttackTally;
import org.parry.eval.DataSetAttack;
import org.parry.eval.TargetMode;
import org.parry.model.SavedModel;
import org.parry.testing.TestModels;

/** The files of an attack on a data set: NPZ, gallery and JSON, from one tally. */
class AttackFilesTest {

    private static final AttackSource SOURCE = new AttackSource(Path.of("models", "cnn"), "test",
            false, null);

    private static AttackTally tally(TargetMode targets, boolean keepImages) {
        return new DataSetAttack(Fgsm.of(0.3f), targets, 16, 3, keepImages)
                .run(TestModels.syntheticCnn(), TestModels.syntheticTest().first(24),
                        DataSetAttack.Listener.NONE);
    }

    @Test
    void theJsonHoldsTheTallysNumbers(@TempDir Path dir) throws IOException {
        AttackTally tally = tally(null, false);
        Path file = dir.resolve("results.json");
        AttackFiles.writeJson(file, tally, SOURCE);
        JsonNode json = SavedModel.json().readTree(file.toFile());
        List<String> keys = new ArrayList<>();
        json.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("model", "dataset", "split", "attack", "black_box",
                "defense", "n", "clean_accuracy", "robust_accuracy", "robust_accuracy_stderr",
                "adversarial_accuracy", "success_rate", "success_denominator", "successes",
                "perturbation", "adversarial_confidence", "gradients", "queries", "seconds", "seed",
                "batch_size");
        assertThat(json.get("model").asText()).isEqualTo(SOURCE.model().toString());
        assertThat(json.get("n").asInt()).isEqualTo(24);
        assertThat(json.get("robust_accuracy").asDouble()).isEqualTo(tally.robustAccuracy());
        assertThat(json.get("successes").asInt()).isEqualTo(tally.successes());
        assertThat(json.get("attack").get("name").asText()).isEqualTo("fgsm");
        assertThat(json.get("attack").get("targeted").asBoolean()).isFalse();
        assertThat(json.get("attack").get("target_mode").isNull()).isTrue();
        assertThat(json.get("perturbation").get("linf").get("max").asDouble())
                .isEqualTo(tally.overSuccesses(tally.linf()).max());
        assertThat(json.get("seed").asLong()).isEqualTo(3);
        assertThat(json.get("batch_size").asInt()).isEqualTo(16);
    }

    @Test
    void theImagesGoToANumpyArchiveAndAGallery(@TempDir Path dir) throws IOException {
        AttackTally tally = tally(TargetMode.NEXT, true);
        Path npz = dir.resolve(AttackFiles.NPZ);
        AttackFiles.writeNpz(npz, tally);
        List<String> entries = new ArrayList<>();
        try (InputStream in = Files.newInputStream(npz); ZipInputStream zip = new ZipInputStream(in)) {
            for (ZipEntry entry; (entry = zip.getNextEntry()) != null; ) {
                entries.add(entry.getName());
            }
        }
        assertThat(entries).containsExactly("x_adv.npy", "x_clean.npy", "y.npy", "pred_clean.npy",
                "pred_adv.npy", "success.npy", "l2.npy", "linf.npy", "l0.npy",
                "confidence_adv.npy", "target.npy");
        Path png = dir.resolve(AttackFiles.GALLERY);
        AttackFiles.writeGallery(png, tally, SOURCE, 16);
        BufferedImage gallery = ImageIO.read(png.toFile());
        assertThat(gallery.getWidth()).isGreaterThanOrEqualTo(8 * 84);

        AttackTally withoutImages = tally(null, false);
        assertThatThrownBy(() -> AttackFiles.writeNpz(dir.resolve("none.npz"), withoutImages))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("keepImages");
        assertThatThrownBy(() -> AttackFiles.writeGallery(png, tally, SOURCE, 0))
                .hasMessage("a gallery needs at least 1 sample, got 0");
    }
}
