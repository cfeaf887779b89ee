package org.parry.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.data.SyntheticDataset;
import org.parry.loss.LabelLogit;
import org.parry.testing.TestModels;

/** Reading a Parry model's layers: names, shapes, the split at a layer, the tail's gradient. */
class LayersTest {

    /** small-cnn (width 8) on 28x28: nested blocks flattened, shapes as the architecture says. */
    @Test
    void listsTheFlattenedLayersWithTheirShapes() {
        Layers layers = Layers.of(TestModels.syntheticCnn());
        List<Layers.Layer> list = layers.list();
        assertThat(list).extracting(Layers.Layer::path).containsExactly("0", "1.0", "1.1", "1.2",
                "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9");
        assertThat(list.get(0).kind()).isEqualTo("normalization");
        assertThat(list.get(1).kind()).isEqualTo("Conv2d");
        assertThat(list.get(1).outputShape()).isEqualTo(new Shape(8, 28, 28));
        assertThat(list.get(6).outputShape()).isEqualTo(new Shape(16, 7, 7));
        assertThat(list.get(10).outputShape()).isEqualTo(new Shape(10));
        // the input of the flatten: the second pooling's output
        assertThat(layers.featureMap()).isEqualTo(list.get(6));
        assertThat(list.get(7).kind()).isEqualTo("batchFlatten");
    }

    /** Head then tail is the forward pass, bit for bit, at every layer of two architectures. */
    @Test
    void theSplitReproducesTheForwardPassExactly() {
        ImageDataset cifarLike = SyntheticDataset.generate(6, 10, 3, 16, 16, 4);
        try (BlockClassifier resnet = ZooModels.initialized("preact-resnet18", new Shape(3, 16, 16),
                10, 4, 3); NDManager manager = NDManager.newBaseManager()) {
            for (BlockClassifier model : List.of(TestModels.syntheticCnn(), resnet)) {
                ImageDataset data = model == resnet ? cifarLike : TestModels.syntheticTest().first(6);
                Batch batch = data.batch(manager, 0, 6);
                float[] expected = model.logits(batch.x()).toFloatArray();
                Layers layers = Layers.of(model);
                for (Layers.Layer layer : layers.list()) {
                    NDArray features = layers.features(layer, batch.x());
                    assertThat(features.getShape()).isEqualTo(new Shape(6).addAll(layer.outputShape()));
                    assertThat(layers.logits(layer, features).toFloatArray()).as(layer.toString())
                            .containsExactly(expected);
                }
            }
            // residual units are leaves; the last stage's output (before the global pooling) is the feature map
            Layers layers = Layers.of(resnet);
            assertThat(layers.list()).extracting(Layers.Layer::kind).contains("PreActBlock");
            assertThat(layers.featureMap().outputShape()).isEqualTo(new Shape(32, 2, 2));
            assertThat(layers.list().get(layers.featureMap().index() + 1).kind())
                    .isEqualTo("globalAvgPool2d");
        }
    }

    /**
     * A linear model, logits = W · flatten(z) + b on the normalized input z: the gradient of the
     * label's logit with respect to z is the label's row of W, whatever z is.
     */
    @Test
    void theTailGradientOfALinearModelIsItsWeightRow() {
        Shape shape = new Shape(3, 4, 4);
        try (BlockClassifier linear = ZooModels.initialized("linear", shape, 5, 0, 7);
                NDManager manager = NDManager.newBaseManager()) {
            Layers layers = Layers.of(linear);
            Layers.Layer input = layers.layer("0");
            NDArray x = manager.randomUniform(0f, 1f, new Shape(4).addAll(shape));
            NDArray labels = manager.create(new int[] {0, 3, 4, 3});
            NDArray z = layers.features(input, x);
            LossGradient result = layers.tailGradient(input, z, labels, LabelLogit.get());
            float[] weight = weight(linear);
            float[] gradient = result.gradient().toFloatArray();
            int size = (int) shape.size();
            int[] y = labels.toIntArray();
            for (int i = 0; i < y.length; i++) {
                for (int j = 0; j < size; j++) {
                    assertThat(gradient[i * size + j]).isCloseTo(weight[y[i] * size + j], within(1e-6f));
                }
            }
            float[] logits = result.logits().toFloatArray();
            float[] value = result.loss().toFloatArray();
            for (int i = 0; i < y.length; i++) {
                assertThat(value[i]).isEqualTo(logits[i * 5 + y[i]]);
            }
            assertThat(linear.block().getParameters().values())
                    .allSatisfy(p -> assertThat(p.requiresGradient()).isFalse());
        }
    }

    @Test
    void errorsNameTheFix() {
        Classifier blackBox = NoGradientClassifier.of("remote", new Shape(1, 28, 28), 10,
                TestModels.syntheticCnn()::logits);
        assertThatThrownBy(() -> Layers.of(blackBox)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("model 'remote'").hasMessageContaining("parry train");
        Layers layers = Layers.of(TestModels.syntheticCnn());
        assertThatThrownBy(() -> layers.layer("1.42")).hasMessageContaining("no layer '1.42'")
                .hasMessageContaining("1.5 maxPool2d (16, 7, 7)");
        try (BlockClassifier mlp = ZooModels.initialized("mlp", new Shape(1, 8, 8), 3, 16, 1);
                NDManager manager = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> Layers.of(mlp).featureMap())
                    .hasMessageContaining("no convolutional feature map")
                    .hasMessageContaining("1.1 Linear (16)");
            NDArray wrong = manager.zeros(new Shape(2, 5));
            Layers mlpLayers = Layers.of(mlp);
            assertThatThrownBy(() -> mlpLayers.logits(mlpLayers.layer("1.1"), wrong))
                    .hasMessageContaining("has shape (16) per sample");
        }
    }

    private static float[] weight(BlockClassifier model) {
        for (Parameter parameter : model.block().getParameters().values()) {
            if (parameter.getType() == Parameter.Type.WEIGHT) {
                return parameter.getArray().toType(DataType.FLOAT32, false).toFloatArray();
            }
        }
        throw new AssertionError("no weight");
    }
}
