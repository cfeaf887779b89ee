package org.parry.model.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.BlockClassifier;
import org.parry.model.GradientCheck;
import org.parry.model.LossGradient;
import org.parry.model.ModelCard;
import org.parry.model.Normalization;
import org.parry.model.SavedModel;

/**
 * cnn3, the host of the robust blocks: every combination builds and runs, its input gradient with
 * Sparta and non-local denoising is right, a fresh denoising block changes nothing, a card with
 * every block rebuilds the same network, and the architectures that cannot host a block say which
 * can.
 */
class Cnn3Test {

    private static final Shape INPUT = new Shape(1, 28, 28);
    private static final int CLASSES = 10;
    private static final int WIDTH = 4;

    /** cnn3 with these options in front of an identity normalization, initialized with a seed. */
    private static BlockClassifier cnn3(ArchitectureOptions options, DataType dataType, int seed) {
        Engine.getInstance().setRandomSeed(seed);
        NDManager manager = NDManager.newBaseManager();
        Block block = ModelZoo.build("cnn3", INPUT, CLASSES, options, Normalization.identity(1));
        block.initialize(manager, dataType, new Shape(1).addAll(INPUT));
        return new BlockClassifier("cnn3", block, INPUT, CLASSES, manager);
    }

    private static ArchitectureOptions plain() {
        return ArchitectureOptions.ofWidth(WIDTH);
    }

    private static ArchitectureOptions sparta() {
        return new ArchitectureOptions(WIDTH, Nonlinearity.SPARTA, 1);
    }

    static Stream<Arguments> combinations() {
        List<Arguments> all = new ArrayList<>(List.of(
                Arguments.of("plain", plain()),
                Arguments.of("cifs linear", plain().withCifs(CifsProbe.LINEAR, 2f)),
                Arguments.of("cifs nonlinear", plain().withCifs(CifsProbe.NONLINEAR, 1f)),
                Arguments.of("sparta", sparta())));
        for (Denoiser denoiser : Denoiser.values()) {
            all.add(Arguments.of("denoise " + denoiser.id(), plain().withDenoise(denoiser)));
        }
        all.add(Arguments.of("all three", sparta().withCifs(CifsProbe.NONLINEAR, 2f)
                .withDenoise(Denoiser.NONLOCAL_EMBEDDED)));
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("combinations")
    void everyCombinationBuildsAndRunsInEvaluationTrainingAndAttacks(String name,
            ArchitectureOptions options) {
        int probes = options.cifs() == CifsProbe.NONE ? 0 : 1;
        try (BlockClassifier model = cnn3(options, DataType.FLOAT32, 1);
                NDManager manager = NDManager.newBaseManager()) {
            Block block = model.block();
            assertThat(model.probes()).isEqualTo(probes);
            assertThat(Sparta.findAll(block)).hasSize(
                    options.activation() == Nonlinearity.SPARTA ? 3 : 0);
            List<FeatureDenoising> denoising = denoisingBlocks(block);
            if (options.denoise() == null) {
                assertThat(denoising).isEmpty();
            } else {
                assertThat(denoising).hasSize(1);
                assertThat(denoising.get(0).denoiser()).isEqualTo(options.denoise());
                assertThat(denoising.get(0).channels()).isEqualTo(2 * WIDTH);
            }

            NDArray x = manager.randomUniform(0f, 1f, new Shape(4).addAll(INPUT));
            NDArray y = manager.create(new int[] {0, 3, 5, 9});
            NDArray logits = model.logits(x);
            assertThat(logits.getShape()).isEqualTo(new Shape(4, CLASSES));
            assertThat(finite(logits)).isTrue();

            try (SideOutputs side = SideOutputs.open(y)) {
                NDArray training = block.forward(model.parameterStore(), new NDList(x), true)
                        .singletonOrThrow();
                assertThat(training.getShape()).isEqualTo(new Shape(4, CLASSES));
                assertThat(side.probes()).hasSize(probes);
                side.probes().forEach(probe ->
                        assertThat(probe.logits().getShape()).isEqualTo(new Shape(4, CLASSES)));
            }

            LossGradient attack = model.lossGradient(x, y, CrossEntropyLoss.get());
            assertThat(attack.gradient().getShape()).isEqualTo(x.getShape());
            assertThat(finite(attack.gradient())).isTrue();
            assertThat(attack.gradient().abs().sum().getFloat()).isPositive();
        }
    }

    /**
     * The float64 input gradient of cnn3 with Sparta and non-local means agrees with central
     * finite differences. Both blocks are first moved off their initial values (a fresh denoising
     * block is the identity and would contribute nothing to check; a fresh Sparta is SiLU); the
     * test then confirms that the denoising block does change the logits.
     */
    @Test
    void inputGradientWithSpartaAndNonLocalDenoisingMatchesFiniteDifferences() {
        ArchitectureOptions options = sparta().withDenoise(Denoiser.NONLOCAL);
        try (BlockClassifier model = cnn3(options, DataType.FLOAT64, 7);
                NDManager manager = NDManager.newBaseManager()) {
            Random random = new Random(7);
            for (Sparta module : Sparta.findAll(model.block())) {
                for (Parameter parameter : module.getParameters().values()) {
                    BlockSandwich.setNormal(parameter, 0, 0.5, random);
                }
            }
            Parameter gamma = gamma(denoisingBlocks(model.block()).get(0));
            BlockSandwich.setNormal(gamma, 1, 0.2, random);

            NDArray x = manager.randomUniform(0f, 1f, new Shape(4).addAll(INPUT))
                    .toType(DataType.FLOAT64, false);
            NDArray y = manager.create(new int[] {0, 3, 5, 9});
            // as in ZooGradientTest: in float64 with h = 1e-4 a correct gradient agrees to ~1e-6
            double error = GradientCheck.maxRelativeError(
                    model, x, y, CrossEntropyLoss.get(), 3, 1e-4f, 11);
            assertThat(error).as("relative error of the input gradient").isLessThan(1e-3);

            NDArray logits = model.logits(x);
            double[] scales = gamma.getArray().toDoubleArray();
            BlockSandwich.set(gamma, new double[scales.length]);
            double change = logits.sub(model.logits(x)).abs().max().getDouble();
            assertThat(change).as("the denoising block's part of the logits").isGreaterThan(1e-3);
        }
    }

    /**
     * FeatureDenoising starts as the identity (BatchNorm's scale is 0), so cnn3 with a fresh
     * denoising block gives exactly the logits of cnn3 without it when the other weights are
     * equal, in evaluation and in training mode.
     */
    @ParameterizedTest
    @EnumSource(Denoiser.class)
    void aFreshDenoisingBlockLeavesTheLogitsExactlyAsWithoutIt(Denoiser denoiser) {
        try (BlockClassifier without = cnn3(plain(), DataType.FLOAT32, 3);
                BlockClassifier with = cnn3(plain().withDenoise(denoiser), DataType.FLOAT32, 4);
                NDManager manager = NDManager.newBaseManager()) {
            Set<Parameter> own = Collections.newSetFromMap(new IdentityHashMap<>());
            own.addAll(denoisingBlocks(with.block()).get(0).getParameters().values());
            List<Parameter> shared = with.block().getParameters().values().stream()
                    .filter(p -> !own.contains(p)).toList();
            List<Parameter> source = without.block().getParameters().values();
            assertThat(shared).hasSameSizeAs(source);
            for (int i = 0; i < source.size(); i++) {
                NDArray target = shared.get(i).getArray();
                assertThat(target.getShape()).isEqualTo(source.get(i).getArray().getShape());
                target.set(new NDIndex("..."), source.get(i).getArray());
            }
            NDArray x = manager.randomUniform(0f, 1f, new Shape(5).addAll(INPUT));
            float[] expected = without.logits(x).toFloatArray();
            assertThat(with.logits(x).toFloatArray()).containsExactly(expected);
            float[] training = without.block().forward(without.parameterStore(), new NDList(x),
                    true).singletonOrThrow().toFloatArray();
            assertThat(with.block().forward(with.parameterStore(), new NDList(x), true)
                    .singletonOrThrow().toFloatArray()).containsExactly(training);
        }
    }

    /**
     * A card with Sparta, a nonlinear CIFS probe of weight 1.5 and embedded non-local denoising
     * survives save and load: the same options, the same logits and the same joint loss (which
     * alone depends on β). Every parameter, BatchNorm's statistics included, is randomized first,
     * so a parameter that failed to load could not pass by holding its initial value.
     */
    @Test
    void aCardWithEveryBlockRebuildsTheSameNetwork(@TempDir Path dir) throws IOException {
        ArchitectureOptions options = sparta().withCifs(CifsProbe.NONLINEAR, 1.5f)
                .withDenoise(Denoiser.NONLOCAL_EMBEDDED);
        ModelCard card = new ModelCard(ModelCard.FORMAT, "cnn3", WIDTH, "relu", 1,
                new int[] {1, 28, 28}, List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"),
                Normalization.identity(1), "synthetic", null, null, null, 0, "test", null)
                .withOptions(options);
        try (BlockClassifier model = SavedModel.create(card, 5);
                NDManager manager = NDManager.newBaseManager()) {
            Random random = new Random(5);
            for (Parameter parameter : model.block().getParameters().values()) {
                if (parameter.getType() == Parameter.Type.RUNNING_VAR) {
                    BlockSandwich.set(parameter, positive(parameter, random));
                } else {
                    BlockSandwich.setNormal(parameter, 0, 0.3, random);
                }
            }
            SavedModel.save(dir, model, card);

            JsonNode json = SavedModel.json().readTree(dir.resolve(SavedModel.CARD_FILE).toFile());
            assertThat(json.get("activation").asText()).isEqualTo("sparta");
            assertThat(json.get("cifs").asText()).isEqualTo("nonlinear");
            assertThat(json.get("cifsBeta").asDouble()).isEqualTo(1.5);
            assertThat(json.get("denoise").asText()).isEqualTo("nonlocal-embedded");
            assertThat(SavedModel.readCard(dir).options()).isEqualTo(options);

            NDArray x = manager.randomUniform(0f, 1f, new Shape(6).addAll(INPUT));
            NDArray y = manager.create(new int[] {0, 1, 2, 3, 4, 5});
            try (BlockClassifier loaded = SavedModel.load(dir)) {
                assertThat(loaded.probes()).isEqualTo(1);
                assertThat(Sparta.findAll(loaded.block())).hasSize(3);
                assertThat(loaded.logits(x).toFloatArray())
                        .containsExactly(model.logits(x).toFloatArray());
                assertThat(loaded.lossGradient(x, y, CrossEntropyLoss.get()).loss().toFloatArray())
                        .containsExactly(model.lossGradient(x, y, CrossEntropyLoss.get()).loss()
                                .toFloatArray());
            }
        }
    }

    @Test
    void architecturesThatCannotHostABlockSayInOneLineThatCnn3Can() {
        assertHostingError("odenet", new ArchitectureOptions(8, Nonlinearity.SPARTA, 1), "sparta");
        assertHostingError("small-cnn", ArchitectureOptions.ofWidth(8).withDenoise(Denoiser.MEAN),
                "denoise");
        assertHostingError("small-cnn", ArchitectureOptions.ofWidth(8)
                .withCifs(CifsProbe.LINEAR, 2f), "cifs");
    }

    private static void assertHostingError(String architecture, ArchitectureOptions options,
            String block) {
        assertThatThrownBy(() -> ModelZoo.build(architecture, INPUT, CLASSES, options,
                Normalization.identity(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("architecture '" + architecture + "' cannot host a " + block
                        + " block; use one that can: [cnn3]");
    }

    private static List<FeatureDenoising> denoisingBlocks(Block block) {
        List<FeatureDenoising> found = new ArrayList<>();
        if (block instanceof FeatureDenoising denoising) {
            found.add(denoising);
        }
        block.getChildren().values().forEach(child -> found.addAll(denoisingBlocks(child)));
        return found;
    }

    private static Parameter gamma(FeatureDenoising block) {
        return block.getParameters().values().stream()
                .filter(p -> p.getType() == Parameter.Type.GAMMA).findFirst().orElseThrow();
    }

    private static double[] positive(Parameter parameter, Random random) {
        double[] values = new double[Math.toIntExact(parameter.getArray().size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = 0.5 + random.nextDouble();
        }
        return values;
    }

    private static boolean finite(NDArray array) {
        double[] values = array.toType(DataType.FLOAT64, false).toDoubleArray();
        for (double value : values) {
            if (!Double.isFinite(value)) {
                return false;
            }
        }
        return true;
    }
}
