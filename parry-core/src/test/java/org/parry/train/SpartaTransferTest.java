package org.parry.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.data.ImageDataset;
import org.parry.data.SyntheticDataset;
import org.parry.model.BlockClassifier;
import org.parry.model.ModelCard;
import org.parry.model.Normalization;
import org.parry.model.SavedModel;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.model.zoo.Nonlinearity;
import org.parry.model.zoo.Sparta;

/**
 * Sparta's transfer ({@code TrainingSettings.spartaFrom}): a network trained with the Sparta
 * modules of another keeps them bit for bit while the rest of it learns, and a source or target
 * without Sparta modules is refused with the fix.
 */
class SpartaTransferTest {

    private static final int WIDTH = 4;

    @TempDir
    static Path shared;

    /** A cnn3 with Sparta, trained for an epoch on synthetic data of seed 1. */
    private static Path source;

    /** Its Sparta parameters, module by module (filter, bias). */
    private static List<float[]> sourceSparta;

    private static ImageDataset target;
    private static ImageDataset test;

    @BeforeAll
    static void trainTheSource() throws IOException {
        ImageDataset data = SyntheticDataset.generate(640, 10, 1, 28, 28, 1);
        target = SyntheticDataset.generate(640, 10, 1, 28, 28, 3);
        test = SyntheticDataset.generate(200, 10, 1, 28, 28, 2);
        source = shared.resolve("source");
        ModelCard card = card(Nonlinearity.SPARTA, WIDTH);
        try (BlockClassifier model = SavedModel.create(card, 5)) {
            List<float[]> initial = spartaValues(model);
            new Trainer(TrainerTest.settings(1, "adam"), new StandardObjective(),
                    TrainingListener.NONE).fit(model, data, null, false);
            sourceSparta = spartaValues(model);
            // else "the target holds the source's values" would hold for a fresh target too
            assertThat(differs(sourceSparta, initial)).as("training moved the source's Sparta")
                    .isTrue();
            SavedModel.save(source, model, card);
        }
    }

    private static ModelCard card(Nonlinearity activation, int width) {
        return new ModelCard(ModelCard.FORMAT, "cnn3", width, "relu", 1, new int[] {1, 28, 28},
                target.classNames(), Normalization.identity(1), target.name(), null, null, null,
                0, "test", null).withOptions(new ArchitectureOptions(width, activation, 1));
    }

    private static TrainingSettings transferFrom(Path model) {
        return TrainerTest.settings(1, "adam").toBuilder().optBatchSize(32)
                .optSpartaFrom(model.toString()).build();
    }

    @Test
    void theTargetKeepsTheSourcesSpartaBitForBitWhileTheRestLearns() throws IOException {
        try (BlockClassifier model = SavedModel.create(card(Nonlinearity.SPARTA, WIDTH), 6)) {
            List<NDArray> convolutions = convolutionWeights(model);
            List<float[]> before = convolutions.stream().map(NDArray::toFloatArray).toList();
            double accuracyBefore = TrainerTest.accuracy(model, test);

            new Trainer(transferFrom(source), new StandardObjective(), TrainingListener.NONE)
                    .fit(model, target, null, false);

            List<float[]> after = spartaValues(model);
            assertThat(after).hasSameSizeAs(sourceSparta).hasSize(6);
            for (int i = 0; i < after.size(); i++) {
                assertThat(after.get(i)).as("Sparta parameter %d", i)
                        .containsExactly(sourceSparta.get(i));
            }
            assertThat(convolutions).hasSize(3);
            for (int i = 0; i < convolutions.size(); i++) {
                assertThat(convolutions.get(i).toFloatArray()).as("convolution %d", i)
                        .isNotEqualTo(before.get(i));
            }
            double accuracy = TrainerTest.accuracy(model, test);
            System.err.printf("target with the source's Sparta: accuracy %.3f -> %.3f%n",
                    accuracyBefore, accuracy);
            assertThat(accuracy).isGreaterThan(0.8);
        }
    }

    @Test
    void aSourceWithoutSpartaIsRefusedWithTheFix(@TempDir Path dir) throws IOException {
        Path relu = dir.resolve("relu");
        ModelCard card = card(Nonlinearity.RELU, WIDTH);
        try (BlockClassifier model = SavedModel.create(card, 5)) {
            SavedModel.save(relu, model, card);
        }
        try (BlockClassifier model = SavedModel.create(card(Nonlinearity.SPARTA, WIDTH), 6)) {
            assertThatThrownBy(() -> new Trainer(transferFrom(relu), new StandardObjective(),
                    TrainingListener.NONE).fit(model, target, null, false))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(relu.toString())
                    .hasMessageContaining("has no Sparta modules")
                    .hasMessageContaining("--activation sparta");
        }
    }

    @Test
    void aTargetWithoutSpartaIsRefusedWithTheFix() throws IOException {
        try (BlockClassifier model = SavedModel.create(card(Nonlinearity.RELU, WIDTH), 6)) {
            assertThatThrownBy(() -> new Trainer(transferFrom(source), new StandardObjective(),
                    TrainingListener.NONE).fit(model, target, null, false))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("the network being trained has no Sparta modules")
                    .hasMessageContaining("train it with --activation sparta");
        }
    }

    @Test
    void aTargetOfAnotherWidthIsRefused() throws IOException {
        try (BlockClassifier model = SavedModel.create(card(Nonlinearity.SPARTA, 2 * WIDTH), 6)) {
            assertThatThrownBy(() -> new Trainer(transferFrom(source), new StandardObjective(),
                    TrainingListener.NONE).fit(model, target, null, false))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cannot copy a Sparta over 4 channels")
                    .hasMessageContaining("same stage widths");
        }
    }

    /** Every Sparta parameter of the model, module by module, as float arrays. */
    private static List<float[]> spartaValues(BlockClassifier model) {
        List<float[]> values = new ArrayList<>();
        for (Sparta module : Sparta.findAll(model.block())) {
            module.getParameters().values().forEach(p -> values.add(p.getArray().toFloatArray()));
        }
        return values;
    }

    /** The weights of the model's convolutions (4-dimensional weights outside Sparta). */
    private static List<NDArray> convolutionWeights(BlockClassifier model) {
        Set<Parameter> sparta = Collections.newSetFromMap(new IdentityHashMap<>());
        Sparta.findAll(model.block()).forEach(m -> sparta.addAll(m.getParameters().values()));
        return model.block().getParameters().values().stream()
                .filter(p -> !sparta.contains(p))
                .filter(p -> p.getType() == Parameter.Type.WEIGHT)
                .map(Parameter::getArray)
                .filter(array -> array.getShape().dimension() == 4)
                .toList();
    }

    private static boolean differs(List<float[]> a, List<float[]> b) {
        for (int i = 0; i < a.size(); i++) {
            if (!java.util.Arrays.equals(a.get(i), b.get(i))) {
                return true;
            }
        }
        return false;
    }
}
