package org.parry.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.attack.Attack;
import org.parry.attack.Fgsm;
import org.parry.attack.Pgd;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.data.SyntheticDataset;
import org.parry.eval.AttackTally;
import org.parry.eval.DataSetAttack;
import org.parry.model.BlockClassifier;
import org.parry.model.Classifier;
import org.parry.model.Layers;
import org.parry.model.NoGradientClassifier;
import org.parry.model.Normalization;
import org.parry.model.SavedModel;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.model.zoo.ModelZoo;
import org.parry.norm.Norm;
import org.parry.testing.TestModels;

/** A layer's channels on clean and adversarial inputs, by relevance to the true class. */
class ChannelAnalysisTest {

    private static final Shape SHAPE = new Shape(3, 6, 6);

    /**
     * A linear model, logits = W · z + b on the (identity-normalized) input z: the relevance of
     * channel c to class y is the sum of W's row y over channel c's block, whatever the input;
     * the magnitudes are the mean pixel of the channel over the class's clean images and over the
     * adversarial images of an independent run of the same attack (batches that do not divide
     * the data set, so that the slicing of the adversarial pixels is checked too).
     */
    @Test
    void relevanceOfALinearModelIsTheSumOfItsWeightsOverTheChannel() {
        ImageDataset data = SyntheticDataset.generate(45, 4, 3, 6, 6, 11);
        try (BlockClassifier linear = linearModel()) {
            Attack fgsm = Fgsm.of(0.1f);
            ChannelAnalysis.Result result = new ChannelAnalysis(fgsm, "0", 16).run(linear, data,
                    Progress.NONE);
            assertThat(result.layer()).isEqualTo("0 normalization (3, 6, 6)");
            float[] weight = weight(linear.block());
            AttackTally tally = new DataSetAttack(fgsm, null, 7, 0, true).run(linear, data,
                    DataSetAttack.Listener.NONE);
            int plane = 36;
            int size = 3 * plane;
            for (int y = 0; y < 4; y++) {
                for (int c = 0; c < 3; c++) {
                    double relevance = 0;
                    for (int j = c * plane; j < (c + 1) * plane; j++) {
                        relevance += weight[y * size + j];
                    }
                    assertThat(result.relevance()[y][c]).as("class %d channel %d", y, c)
                            .isCloseTo(relevance, within(1e-5));
                    double clean = 0;
                    double adversarial = 0;
                    int count = 0;
                    for (int i = 0; i < data.size(); i++) {
                        if (data.label(i) != y) {
                            continue;
                        }
                        float[] image = data.image(i);
                        for (int j = c * plane; j < (c + 1) * plane; j++) {
                            clean += image[j] / plane;
                            adversarial += tally.adversarial()[i * size + j] / plane;
                        }
                        count++;
                    }
                    assertThat(result.clean()[y][c]).isCloseTo(clean / count, within(1e-6));
                    assertThat(result.adversarial()[y][c])
                            .isCloseTo(adversarial / count, within(1e-6));
                }
            }
        }
    }

    /**
     * On the synthetic CNN the default layer is the last convolutional stage's output, and the
     * relevance of each channel is the derivative of the class's logit along the channel (all its
     * positions at once), which central finite differences of the tail reproduce. The summary's
     * groups hold the classes' (class, channel) pairs of each sign. Whether CIFS's observation
     * holds here is measured, not asserted: at ε = 0.05 the negative channels rise more than the
     * positive ones (+8.2 % against +6.7 %), at ε = 0.2 they do not (+42 % against +44 %).
     */
    @Test
    void relevanceOfTheCnnsLastStageMatchesFiniteDifferences(@TempDir Path dir)
            throws IOException {
        Classifier model = TestModels.syntheticCnn();
        ImageDataset data = TestModels.syntheticTest().first(100);
        Attack pgd = Pgd.builder(Norm.LINF, 0.05f).optSteps(10).optSeed(1).build();
        ChannelAnalysis.Result result = ChannelAnalysis.of(pgd).run(model, data, Progress.NONE);
        assertThat(result.layer()).isEqualTo("1.5 maxPool2d (16, 7, 7)");
        assertThat(result.channels()).isEqualTo(16);
        assertThat(result.group()).containsOnly(1, -1);
        assertThat(java.util.Arrays.stream(result.group()).sum()).isZero();

        double[][] finiteDifference = finiteDifferenceRelevance(model, data, 0.01f);
        double largest = 0;
        for (double[] row : finiteDifference) {
            for (double r : row) {
                largest = Math.max(largest, Math.abs(r));
            }
        }
        for (int y = 0; y < 10; y++) {
            for (int c = 0; c < 16; c++) {
                // float32 logits of size ~10 differenced over 2δ = 0.02: ~1e-4 of rounding
                assertThat(result.relevance()[y][c]).as("class %d channel %d", y, c)
                        .isCloseTo(finiteDifference[y][c], within(0.01 * largest));
            }
        }
        int[] pairs = new int[2];
        for (int y = 0; y < 10; y++) {
            for (int c = 0; c < 16; c++) {
                pairs[0] += result.relevance()[y][c] > 0 ? 1 : 0;
                pairs[1] += result.relevance()[y][c] < 0 ? 1 : 0;
            }
        }
        java.util.List<ChannelAnalysis.Summary> summary = result.summary();
        assertThat(summary).extracting(ChannelAnalysis.Summary::classes).containsExactly(
                "robust", "robust", "non-robust", "non-robust", "all", "all");
        assertThat(summary.get(4).pairs()).isEqualTo(pairs[0]);
        assertThat(summary.get(5).pairs()).isEqualTo(pairs[1]);
        assertThat(summary.get(0).pairs() + summary.get(2).pairs()).isEqualTo(pairs[0]);
        assertThat(result.negativeRoseMore()).containsKeys("robust", "non-robust", "all");

        Path chart = dir.resolve(ChannelAnalysis.CHART);
        Path json = dir.resolve(ChannelAnalysis.JSON);
        result.writeChart(chart);
        result.writeJson(json, Map.of("model", "small-cnn"));
        assertThat(Files.readAllBytes(chart)).startsWith(0x89, 'P', 'N', 'G');
        JsonNode read = SavedModel.json().readTree(json.toFile());
        assertThat(read.get("model").asText()).isEqualTo("small-cnn");
        assertThat(read.get("layer").asText()).isEqualTo("1.5 maxPool2d (16, 7, 7)");
        assertThat(read.get("summary").size()).isEqualTo(6);
        assertThat(read.get("per_class").get(0).get("relevance").size()).isEqualTo(16);
    }

    /** r[y][c] by central differences of the tail along channel c, averaged over class y. */
    private static double[][] finiteDifferenceRelevance(Classifier model, ImageDataset data,
            float delta) {
        Layers layers = Layers.of(model);
        Layers.Layer layer = layers.featureMap();
        double[][] sum = new double[10][16];
        int[] count = new int[10];
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = data.batch(manager, 0, data.size());
            NDArray z = layers.features(layer, batch.x());
            int[] labels = batch.y().toIntArray();
            for (int c = 0; c < 16; c++) {
                float[] mask = new float[16 * 49];
                java.util.Arrays.fill(mask, c * 49, (c + 1) * 49, delta);
                NDArray step = manager.create(mask, new Shape(1, 16, 7, 7));
                float[] up = layers.logits(layer, z.add(step)).toFloatArray();
                float[] down = layers.logits(layer, z.sub(step)).toFloatArray();
                for (int i = 0; i < labels.length; i++) {
                    int at = i * 10 + labels[i];
                    sum[labels[i]][c] += (up[at] - down[at]) / (2.0 * delta);
                }
            }
            for (int label : labels) {
                count[label]++;
            }
        }
        for (int y = 0; y < 10; y++) {
            for (int c = 0; c < 16; c++) {
                sum[y][c] /= count[y];
            }
        }
        return sum;
    }

    /** The lower half of the classes by adversarial accuracy is non-robust, the upper half robust. */
    @Test
    void classesAreSplitAtTheMedianAdversarialAccuracy() {
        assertThat(ChannelAnalysis.groups(new double[] {0.5, Double.NaN, 0.1, 0.9, 0.5}))
                .containsExactly(-1, 0, -1, 1, 1);
        assertThat(ChannelAnalysis.groups(new double[] {0.2, 0.6, 0.4})).containsExactly(-1, 1, 0);
    }

    @Test
    void refusesModelsWithoutReadableLayersAndUnknownLayers() {
        Classifier cnn = TestModels.syntheticCnn();
        Classifier remote = NoGradientClassifier.of("remote", cnn.inputShape(), 10, cnn::logits);
        ImageDataset data = TestModels.syntheticTest().first(4);
        assertThatThrownBy(() -> ChannelAnalysis.of(Fgsm.of(0.1f)).run(remote, data,
                Progress.NONE)).hasMessageContaining("model 'remote'")
                .hasMessageContaining("parry train");
        assertThatThrownBy(() -> new ChannelAnalysis(Fgsm.of(0.1f), "7", 4).run(cnn, data,
                Progress.NONE)).hasMessageContaining("no layer '7'")
                .hasMessageContaining("1.5 maxPool2d");
    }

    private static BlockClassifier linearModel() {
        Engine.getInstance().setRandomSeed(3);
        NDManager manager = NDManager.newBaseManager();
        Block block = ModelZoo.build("linear", SHAPE, 4, ArchitectureOptions.ofWidth(0),
                Normalization.identity(3));
        block.initialize(manager, DataType.FLOAT32, new Shape(1).addAll(SHAPE));
        return new BlockClassifier("linear", block, SHAPE, 4, manager);
    }

    private static float[] weight(Block block) {
        for (Parameter parameter : block.getParameters().values()) {
            if (parameter.getType() == Parameter.Type.WEIGHT) {
                return parameter.getArray().toFloatArray();
            }
        }
        throw new AssertionError("no weight");
    }
}
