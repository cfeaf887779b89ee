package org.parry.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.parry.engine.Backward;
import org.parry.model.BlockClassifier;
import org.parry.model.Layers;
import org.parry.model.TorchScriptClassifier;
import org.parry.testing.TestModels;

/**
 * Activations by layer name: a Parry model's through {@link Layers}, a TorchScript model's through
 * its exported {@code features} method (fixture {@code torchscript/features_cnn.pt}, see {@code
 * make_features_fixture.py}), with PyTorch's values and input gradient.
 */
class FeatureSourceTest {

    @Test
    void aParryModelsHiddenLayersAreItsStageOutputs() {
        BlockClassifier model = TestModels.syntheticCnn();
        FeatureSource source = FeatureSource.of(model);
        Layers layers = Layers.of(model);
        assertThat(source.hidden()).containsExactlyElementsOf(
                layers.stageOutputs().stream().map(Layers.Layer::path).toList());
        assertThat(source.lastHidden()).isEqualTo("1.8");
        assertThat(source.resolve("hidden,logits")).containsExactly("1.2", "1.6", "1.8", "logits");
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = TestModels.syntheticTest().batch(manager, 0, 5).x();
            List<NDArray> features = source.features(List.of("1.6", "logits"), x);
            assertThat(features.get(0).toFloatArray()).containsExactly(
                    layers.features(layers.layer("1.6"), x).toFloatArray());
            assertThat(features.get(1).toFloatArray()).containsExactly(
                    model.logits(x).toFloatArray());
            assertThat(source.shape("1.2")).isEqualTo(new Shape(8, 14, 14));
        }
        assertThatThrownBy(() -> source.resolve("1.2,9.9")).hasMessageStartingWith(
                "model 'small-cnn' has no layer '9.9'; its layers: 1.2 (8, 14, 14), 1.6 (784),");
        assertThatThrownBy(() -> source.resolve("1.2,1.2")).hasMessageStartingWith(
                "layers=1.2,1.2 must name distinct layers");
    }

    @Test
    void aTorchScriptModelsFeaturesMethodGivesPyTorchsActivationsAndGradient() throws Exception {
        JsonNode json = new ObjectMapper().readTree(resource("features_cnn.json").toFile());
        try (TorchScriptClassifier model = TorchScriptClassifier.load(resource("features_cnn.pt"),
                new Shape(1, 8, 8)); NDManager manager = NDManager.newBaseManager()) {
            FeatureSource source = FeatureSource.of(model);
            assertThat(source.hidden()).containsExactly("features.0", "features.1");
            assertThat(source.shape("features.0")).isEqualTo(new Shape(16, 8, 8));
            assertThat(source.lastHidden()).isEqualTo("features.1");
            NDArray x = manager.create(floats(json.get("inputs")), new Shape(3, 1, 8, 8));
            List<NDArray> features = source.features(
                    List.of("features.0", "features.1", "logits"), x);
            assertClose(features.get(0).toFloatArray(), floats(json.get("conv")));
            assertClose(features.get(1).toFloatArray(), floats(json.get("hidden")));
            assertClose(features.get(2).toFloatArray(), floats(json.get("logits")));
            // d/dx sum(hidden²), inside a caller's gradient collector
            NDArray leaf = x.duplicate();
            leaf.setRequiresGradient(true);
            try (GradientCollector collector = Backward.collector()) {
                NDArray hidden = source.features("features.1", leaf);
                Backward.run(collector, hidden.square().sum());
            }
            assertClose(leaf.getGradient().toFloatArray(), floats(json.get("gradient")));
        }
    }

    @Test
    void aModelWithoutReadableLayersGivesOneLine() throws Exception {
        try (TorchScriptClassifier model = TorchScriptClassifier.load(resource("tiny_cnn.pt"),
                new Shape(1, 8, 8))) {
            assertThatThrownBy(() -> FeatureSource.of(model)).hasMessage("model 'tiny_cnn.pt' (a"
                    + " TorchScriptClassifier) does not expose its layers: this detector needs a"
                    + " Parry model, or a TorchScript model with a method 'features' (exported"
                    + " with @torch.jit.export) that returns a tuple of its activations");
            try (NDManager manager = NDManager.newBaseManager()) {
                assertThatThrownBy(() -> model.runMethod("features",
                        manager.zeros(new Shape(1, 1, 8, 8)))).hasMessageStartingWith(
                        "TorchScript model 'tiny_cnn.pt' has no method 'features' (its methods:");
            }
        }
    }

    private static void assertClose(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            // float32 kernels in a different order than PyTorch 1.13's: a few ulps
            assertThat(actual[i]).isCloseTo(expected[i], within(1e-5f * (1 + Math.abs(expected[i]))));
        }
    }

    private static float[] floats(JsonNode array) {
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) array.get(i).asDouble();
        }
        return values;
    }

    static Path resource(String name) throws Exception {
        return Paths.get(FeatureSourceTest.class.getResource("/torchscript/" + name).toURI());
    }
}
