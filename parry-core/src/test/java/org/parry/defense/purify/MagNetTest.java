package org.parry.defense.purify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.data.SyntheticDataset;
import org.parry.defense.StageRegistry;
import org.parry.detect.Threshold;
import org.parry.loss.CrossEntropyLoss;
import org.parry.loss.LogitLoss;
import org.parry.model.BlockClassifier;
import org.parry.model.Bounds;
import org.parry.model.GradientCheck;
import org.parry.model.LossGradient;
import org.parry.model.Pipeline;
import org.parry.model.SavedModel;
import org.parry.model.Stage;
import org.parry.testing.TestModels;
import org.parry.train.EpochMetrics;
import org.parry.train.TrainingListener;
import org.parry.train.TrainingSettings;

/**
 * MagNet's parts do what the paper says: thresholds reject the fraction of clean data they
 * promise, the identity autoencoder scores zero and leaves the classifier alone, the divergence
 * is a symmetric number in [0, ln 2], trained autoencoders tell clean images from noise, the
 * diversity term spreads a team apart, the gray-box reformer picks among its autoencoders
 * reproducibly, and a saved MagNet comes back identical. One small MagNet (2 epochs on 256
 * synthetic images, far from converged) serves the tests that need a whole MagNet.
 */
class MagNetTest {

    private static final BlockClassifier NETWORK = TestModels.syntheticCnn();
    private static final Autoencoder IDENTITY = u -> u;
    private static final double DROP_RATE = 0.02;
    private static ImageDataset validation;
    private static MagNet magnet;

    @BeforeAll
    static void train() {
        ImageDataset train = SyntheticDataset.generate(256, 10, 1, 28, 28, 11);
        validation = SyntheticDataset.generate(300, 10, 1, 28, 28, 12);
        magnet = MagNet.train(train, validation, MagNetSettings.builder()
                .optTraining(MagNetSettings.defaultTraining().optEpochs(2).optBatchSize(32)
                        .optLearningRate(1e-2f).optSeed(1).build())
                .optDropRate(DROP_RATE).build(), TrainingListener.NONE);
    }

    @AfterAll
    static void close() {
        if (magnet != null) {
            magnet.close();
        }
    }

    private static Batch heldOut(NDManager manager) {
        return TestModels.syntheticTest().batch(manager, 0, 200);
    }

    @Test
    void aThresholdAtDropRateQRejectsAtMostQOfItsFittingSetAndAboutQOfHeldOutData() {
        Random random = new Random(5);
        int n = 4000;
        double q = 0.05;
        float[] fitting = new float[n];
        float[] held = new float[n];
        for (int i = 0; i < n; i++) {
            fitting[i] = (float) -Math.log(1 - random.nextDouble());
            held[i] = (float) -Math.log(1 - random.nextDouble());
        }
        float threshold = Threshold.atFalsePositiveRate(fitting, q);
        assertThat(rate(fitting, threshold)).isLessThanOrEqualTo(q).isGreaterThan(q - 1.0 / n);
        // The held-out rate varies with both samples: q(1 - q)(1/n + 1/n); four standard errors.
        double error = Math.sqrt(q * (1 - q) * 2.0 / n);
        assertThat(rate(held, threshold)).isBetween(q - 4 * error, q + 4 * error);
        // q·n < 1: nothing clean is rejected, where the authors' code would reject everything.
        float strict = Threshold.atFalsePositiveRate(java.util.Arrays.copyOf(fitting, 100), 0.001);
        assertThat(rate(java.util.Arrays.copyOf(fitting, 100), strict)).isZero();
        assertThatThrownBy(() -> Threshold.atFalsePositiveRate(fitting, 0)).hasMessageStartingWith(
                "the false-positive rate (drop rate) must be in (0, 1), got 0.0");
    }

    private static double rate(float[] scores, float threshold) {
        long over = 0;
        for (float score : scores) {
            over += score > threshold ? 1 : 0;
        }
        return (double) over / scores.length;
    }

    @Test
    void aTrainedMagNetRejectsWhatItsDropRatePromisesOfCleanData() {
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] thresholds = magnet.thresholds();
            NDArray fitting = magnet.scores(validation.batch(manager, 0, validation.size()).x());
            NDArray held = magnet.scores(heldOut(manager).x());
            for (int d = 0; d < thresholds.length; d++) {
                float[] onFitting = fitting.get(":, " + d).toFloatArray();
                float[] onHeld = held.get(":, " + d).toFloatArray();
                assertThat(rate(onFitting, thresholds[d])).isLessThanOrEqualTo(DROP_RATE);
                double error = Math.sqrt(DROP_RATE * (1 - DROP_RATE) * (1.0 / 300 + 1.0 / 200));
                assertThat(rate(onHeld, thresholds[d])).as(magnet.detectors().get(d).name())
                        .isBetween(0.0, DROP_RATE + 4 * error);
            }
            long rejected = magnet.rejects(heldOut(manager).x()).toType(
                    ai.djl.ndarray.types.DataType.INT32, false).sum().getLong();
            assertThat(rejected).isLessThanOrEqualTo(Math.round(200 * (2 * DROP_RATE + 8 * Math.sqrt(
                    DROP_RATE * (1 - DROP_RATE) * (1.0 / 300 + 1.0 / 200)))));
            NDArray noise = manager.randomUniform(0f, 1f, new Shape(20, 1, 28, 28));
            assertThat(magnet.rejects(noise).toBooleanArray()).containsOnly(true);
        }
    }

    @Test
    void divergenceDetectorsJoinTheReconstructionOnesWithTheirOwnThresholds() {
        MagNet guarded = magnet.withDivergence(NETWORK, validation, 10f, 40f);
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThat(guarded.detectors()).extracting(MagNetDetector::name)
                    .containsExactly("error-I", "error-II", "jsd-T10", "jsd-T40");
            float[] thresholds = guarded.thresholds();
            assertThat(java.util.Arrays.copyOf(thresholds, 2)).containsExactly(magnet.thresholds());
            NDArray scores = guarded.scores(validation.batch(manager, 0, validation.size()).x());
            assertThat(scores.getShape()).isEqualTo(new Shape(validation.size(), 4));
            for (int d = 2; d < 4; d++) {
                assertThat(rate(scores.get(":, " + d).toFloatArray(), thresholds[d]))
                        .isLessThanOrEqualTo(DROP_RATE);
            }
            guarded.close();
            assertThat(magnet.scores(heldOut(manager).x()).getShape().get(1))
                    .as("the view shares the autoencoders and leaves them open").isEqualTo(2);
        }
        assertThatThrownBy(() -> magnet.withDivergence(NETWORK, validation, 10f, 10f))
                .hasMessage("magnet: temperature 10.0 given twice");
    }

    @Test
    void theIdentityAutoencoderScoresZeroAndLeavesTheClassifierUnchanged() {
        try (NDManager manager = NDManager.newBaseManager();
                Pipeline reformed = Pipeline.builder(NETWORK).add(new Reformer(List.of(IDENTITY)))
                        .build()) {
            Batch batch = heldOut(manager);
            assertThat(new ReconstructionError("e2", IDENTITY, 2f).scores(batch.x()).toFloatArray())
                    .containsOnly(0f);
            assertThat(new ReconstructionError("e1", IDENTITY, 1f).scores(batch.x()).toFloatArray())
                    .containsOnly(0f);
            float[] divergence = new ProbabilityDivergence("jsd", IDENTITY, NETWORK, 10f)
                    .scores(batch.x()).toFloatArray();
            for (float value : divergence) {
                assertThat(value).isBetween(0f, 1e-7f);
            }
            assertThat(reformed.logits(batch.x()).toFloatArray())
                    .containsExactly(NETWORK.logits(batch.x()).toFloatArray());
            LossGradient through = reformed.lossGradient(batch.x(), batch.y(), CrossEntropyLoss.get());
            LossGradient bare = NETWORK.lossGradient(batch.x(), batch.y(), CrossEntropyLoss.get());
            assertThat(through.gradient().sub(bare.gradient()).abs().max().getFloat())
                    .isLessThanOrEqualTo(1e-6f);
        }
    }

    @Test
    void theDivergenceIsSymmetricAndBetweenZeroAndLn2() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.randomNormal(0f, 30f, new Shape(64, 10),
                    ai.djl.ndarray.types.DataType.FLOAT32);
            NDArray b = manager.randomNormal(0f, 30f, new Shape(64, 10),
                    ai.djl.ndarray.types.DataType.FLOAT32);
            for (float temperature : new float[] {1f, 10f, 40f}) {
                float[] ab = ProbabilityDivergence.jensenShannon(a, b, temperature).toFloatArray();
                float[] ba = ProbabilityDivergence.jensenShannon(b, a, temperature).toFloatArray();
                assertThat(ab).containsExactly(ba);
                for (float value : ab) {
                    assertThat(value).isBetween(0f, (float) Math.log(2));
                }
            }
            NDArray sure = manager.create(new float[] {200f, 0f}, new Shape(1, 2));
            NDArray other = manager.create(new float[] {0f, 200f}, new Shape(1, 2));
            assertThat(ProbabilityDivergence.jensenShannon(sure, other, 1f).getFloat(0))
                    .as("disjoint distributions reach ln 2")
                    .isCloseTo((float) Math.log(2), org.assertj.core.data.Offset.offset(1e-6f));
            for (float value : ProbabilityDivergence.jensenShannon(a, a, 10f).toFloatArray()) {
                assertThat(value).as("rounding only").isBetween(0f, 1e-12f);
            }
        }
    }

    @Test
    void aTrainedAutoencoderReconstructsCleanImagesBetterThanNoiseAndThanTheirMean() {
        // 8 x 8 images, so that a few hundred steps cost little: sigmoid autoencoders first
        // learn the mean image and leave that plateau after a number of steps that depends on
        // their initial weights (between 200 and 600 steps at this rate, measured on 3 seeds).
        ImageDataset data = SyntheticDataset.generate(512, 4, 1, 8, 8, 21);
        TrainingSettings settings = TrainingSettings.builder().optEpochs(20).optBatchSize(32)
                .optLearningRate(1e-2f).optSeed(3).build();
        try (DenoisingAutoencoder autoencoder = DenoisingAutoencoder.create(
                        DenoisingAutoencoder.Architecture.AE_II, data.imageShape(), 3);
                NDManager manager = NDManager.newBaseManager()) {
            List<EpochMetrics> history = AutoencoderTraining.fit(List.of(autoencoder), data, 0.1f,
                    0f, settings, TrainingListener.NONE);
            assertThat(history.get(19).loss()).isLessThan(0.5 * history.get(0).loss());
            ReconstructionError error = new ReconstructionError("error", autoencoder, 2f);
            NDArray x = SyntheticDataset.generate(200, 4, 1, 8, 8, 22).batch(manager, 0, 200).x();
            float clean = error.scores(x).mean().getFloat();
            float noise = error.scores(manager.randomUniform(0f, 1f, new Shape(50, 1, 8, 8)))
                    .mean().getFloat();
            float mean = x.sub(data.batch(manager, 0, data.size()).x().mean(new int[] {0}))
                    .square().mean().getFloat();
            assertThat(clean).isLessThan(0.2f * noise).as("the mean image's error")
                    .isLessThan(0.5f * mean);
        }
    }

    @Test
    void theDiversityTermMakesTheAutoencodersDisagreeMore() {
        ImageDataset data = SyntheticDataset.generate(256, 10, 1, 28, 28, 21);
        TrainingSettings settings = TrainingSettings.builder().optEpochs(3).optBatchSize(32)
                .optLearningRate(1e-2f).optSeed(3).build();
        double[] disagreement = new double[2];
        float[] alphas = {0f, 0.9f};
        for (int k = 0; k < alphas.length; k++) {
            List<DenoisingAutoencoder> team = new ArrayList<>();
            try (NDManager manager = NDManager.newBaseManager()) {
                for (int i = 0; i < 2; i++) {
                    team.add(DenoisingAutoencoder.create(DenoisingAutoencoder.Architecture.AE_I,
                            data.imageShape(), 43 + i));
                }
                AutoencoderTraining.fit(team, data, 0.1f, alphas[k], settings, TrainingListener.NONE);
                NDArray x = heldOut(manager).x();
                NDArray first = team.get(0).reconstruct(x);
                NDArray second = team.get(1).reconstruct(x);
                disagreement[k] = first.sub(second).square().mean().getFloat();
            } finally {
                team.forEach(DenoisingAutoencoder::close);
            }
        }
        // Measured: 3.9 times more here; 1.6 to 90 times over other seeds.
        assertThat(disagreement[1]).as("alpha 0.9 against alpha 0")
                .isGreaterThan(2 * disagreement[0]);
        assertThatThrownBy(() -> MagNetSettings.builder().optDiversity(1f).build())
                .hasMessageStartingWith("magnet: diversity must be in [0, 1), got 1.0");
    }

    @Test
    void theGrayBoxReformerPicksSeveralAutoencodersAndASeedRepeatsItsChoices() {
        List<Autoencoder> constants = new ArrayList<>();
        for (int k = 1; k <= 3; k++) {
            float level = k / 4f;
            constants.add(u -> u.zerosLike().add(level));
        }
        Reformer random = new Reformer(constants);
        assertThat(random.randomized()).isTrue();
        assertThat(new Reformer(List.of(IDENTITY)).randomized()).isFalse();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = heldOut(manager).x().get("0:4");
            List<Float> first = choices(random, x, new SplittableRandom(7));
            assertThat(choices(random, x, new SplittableRandom(7))).isEqualTo(first);
            assertThat(new HashSet<>(first)).hasSizeGreaterThan(1).isSubsetOf(0.25f, 0.5f, 0.75f);
            try (Pipeline a = Pipeline.builder(NETWORK).add(new Reformer(constants)).seed(3).build();
                    Pipeline b = Pipeline.builder(NETWORK).add(new Reformer(constants)).seed(3).build()) {
                HashSet<List<Float>> seen = new HashSet<>();
                for (int pass = 0; pass < 10; pass++) {
                    float[] logits = a.logits(x).toFloatArray();
                    assertThat(b.logits(x).toFloatArray()).containsExactly(logits);
                    List<Float> row = new ArrayList<>();
                    for (float value : logits) {
                        row.add(value);
                    }
                    seen.add(row);
                }
                assertThat(seen).as("passes through different autoencoders").hasSizeGreaterThan(1);
            }
        }
    }

    private static List<Float> choices(Stage stage, NDArray x, SplittableRandom random) {
        List<Float> choices = new ArrayList<>();
        for (int pass = 0; pass < 20; pass++) {
            choices.add(stage.apply(x, Bounds.UNIT, random).getFloat(0, 0, 0, 0));
        }
        return choices;
    }

    @Test
    void theWhiteBoxGradientThroughTheReformerIsTheDerivative() {
        // A fresh AE-I: the gradient's correctness does not depend on the weights, and a trained
        // denoiser shrinks random directions so much that float32 rounding swamps the finite
        // differences. The margin's gradient, unlike a confident model's cross-entropy's, is not
        // vanishingly small.
        LogitLoss margin = (logits, labels) -> logits.get(":, 0").sub(logits.get(":, 1"));
        try (NDManager manager = NDManager.newBaseManager();
                DenoisingAutoencoder autoencoder = DenoisingAutoencoder.create(
                        DenoisingAutoencoder.Architecture.AE_I, new Shape(1, 28, 28), 3);
                Pipeline reformed = Pipeline.builder(NETWORK).add(new Reformer(List.of(autoencoder)))
                        .build()) {
            Batch batch = heldOut(manager);
            double error = GradientCheck.maxRelativeError(reformed, batch.x().get("0:8"),
                    batch.y().get("0:8"), margin, 8, 1e-2f, 1);
            assertThat(error).isLessThan(0.05);
            NDArray purified = magnet.reformer().apply(batch.x(), Bounds.UNIT, new SplittableRandom(0));
            assertThat(purified.min().getFloat()).isGreaterThanOrEqualTo(0f);
            assertThat(purified.max().getFloat()).isLessThanOrEqualTo(1f);
            assertThat(purified.sub(batch.x()).abs().max().getFloat()).as("the reformer moves x")
                    .isGreaterThan(0f);
        }
    }

    @Test
    void aSavedMagNetLoadsWithIdenticalOutputs(@TempDir Path directory) throws IOException {
        Path saved = directory.resolve("magnet");
        magnet.save(saved);
        try (NDManager manager = NDManager.newBaseManager();
                MagNet loaded = MagNet.load(saved);
                Stage fromRegistry = StageRegistry.create("magnet:dir=" + saved)) {
            NDArray x = heldOut(manager).x();
            assertThat(loaded.settings()).isEqualTo(magnet.settings());
            assertThat(loaded.thresholds()).containsExactly(magnet.thresholds());
            assertThat(loaded.history().get("ae-i")).hasSize(2);
            assertThat(loaded.scores(x).toFloatArray()).containsExactly(magnet.scores(x).toFloatArray());
            float[] reformed = magnet.reformer().apply(x, Bounds.UNIT, new SplittableRandom(0))
                    .toFloatArray();
            assertThat(loaded.reformer().apply(x, Bounds.UNIT, new SplittableRandom(0)).toFloatArray())
                    .containsExactly(reformed);
            assertThat(fromRegistry.apply(x, Bounds.UNIT, new SplittableRandom(0)).toFloatArray())
                    .containsExactly(reformed);
            assertThat(fromRegistry.settings()).containsEntry("dir", saved.toString());
        }
    }

    @Test
    void aMissingOrWrongDirectorySaysWhatToPass(@TempDir Path directory) throws IOException {
        assertThatThrownBy(() -> MagNet.load(directory.resolve("nowhere")))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("no MagNet here");
        Files.writeString(directory.resolve(SavedModel.CARD_FILE), "{}");
        assertThatThrownBy(() -> MagNet.load(directory))
                .hasMessageContaining("it holds a classifier (model.json), not a MagNet; pass the"
                        + " directory a trained MagNet was saved to");
        Files.writeString(directory.resolve(MagNet.CARD_FILE), "{\"format\": 1, \"settings\": [");
        assertThatThrownBy(() -> MagNet.load(directory))
                .hasMessageContaining(MagNet.CARD_FILE + ": not a valid MagNet card (");
        assertThatThrownBy(() -> StageRegistry.create("magnet"))
                .hasMessageStartingWith("defense 'magnet' needs dir=PATH");
        assertThatThrownBy(() -> StageRegistry.create("magnet:dir=" + directory.resolve("nowhere")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("defense 'magnet': ")
                .hasMessageContaining("no MagNet here");
    }
}
