package org.parry.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.parry.loss.CrossEntropyLoss;

class NoGradientClassifierTest {

    private static final Shape INPUT_SHAPE = new Shape(1, 8, 8);

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void wrappedLogitsPassThrough() throws Exception {
        try (TorchScriptClassifier inner = TorchScriptClassifier.load(tinyCnn(), INPUT_SHAPE)) {
            NoGradientClassifier blackBox = NoGradientClassifier.wrap(inner);
            NDArray x = manager.randomUniform(0f, 1f, new Shape(5, 1, 8, 8));
            assertThat(blackBox.logits(x).toFloatArray())
                    .containsExactly(inner.logits(x).toFloatArray());
            assertThat(blackBox.name()).isEqualTo("tiny_cnn.pt");
            assertThat(blackBox.inputShape()).isEqualTo(INPUT_SHAPE);
            assertThat(blackBox.numClasses()).isEqualTo(3);
            assertThat(blackBox.bounds()).isEqualTo(Bounds.UNIT);
            assertThat(blackBox.hasGradients()).isFalse();
            assertThat(inner.hasGradients()).isTrue();

            blackBox.close();
            assertThatThrownBy(() -> inner.logits(x)).as("the wrapper owns the model")
                    .hasMessageContaining("closed");
        }
    }

    @Test
    void logitsFunction() {
        NoGradientClassifier blackBox = NoGradientClassifier.of("api", INPUT_SHAPE, 2,
                x -> x.reshape(x.getShape().get(0), -1).mean(new int[] {1}, true)
                        .concat(x.getManager().zeros(new Shape(x.getShape().get(0), 1)), 1));
        NDArray x = manager.full(new Shape(3, 1, 8, 8), 0.25f);
        NDArray logits = blackBox.logits(x);
        assertThat(logits.getShape()).isEqualTo(new Shape(3, 2));
        assertThat(logits.get(0, 0).getFloat()).isEqualTo(0.25f);
        assertThat(blackBox.hasGradients()).isFalse();
    }

    @Test
    void logitsFunctionWithTheWrongOutputIsReported() {
        NoGradientClassifier blackBox = NoGradientClassifier.of("api", INPUT_SHAPE, 3,
                x -> x.getManager().zeros(new Shape(x.getShape().get(0), 2)));
        assertThatThrownBy(() -> blackBox.logits(manager.zeros(new Shape(2, 1, 8, 8))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'api'")
                .hasMessageContaining("expected (2, 3)");
    }

    @Test
    void inputsAreChecked() {
        NoGradientClassifier blackBox = NoGradientClassifier.of("api", INPUT_SHAPE, 3,
                x -> x.getManager().zeros(new Shape(x.getShape().get(0), 3)));
        assertThatThrownBy(() -> blackBox.logits(manager.zeros(new Shape(2, 3, 8, 8))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expects inputs of shape (N, 1, 8, 8)");
    }

    @Test
    void lossGradientThrowsWithAMessageThatSaysWhatToDo() {
        NoGradientClassifier blackBox = NoGradientClassifier.of("remote-api", INPUT_SHAPE, 3,
                x -> x.getManager().zeros(new Shape(x.getShape().get(0), 3)));
        NDArray x = manager.zeros(new Shape(2, 1, 8, 8));
        NDArray labels = manager.create(new long[] {0, 1});
        assertThatThrownBy(() -> blackBox.lossGradient(x, labels, CrossEntropyLoss.get()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("model 'remote-api' has no gradients (black-box): white-box"
                        + " attacks such as PGD cannot run on a query-only model; use a query"
                        + " attack (square, one-pixel), a transfer attack from a substitute or source"
                        + " model (parry attack --source MODEL), or train a substitute; with the"
                        + " model's PyTorch code, export it as TorchScript for white-box attacks");
    }

    @Test
    void requireGradients() throws Exception {
        NoGradientClassifier blackBox = NoGradientClassifier.of("remote-api", INPUT_SHAPE, 3,
                x -> x.getManager().zeros(new Shape(x.getShape().get(0), 3)));
        assertThatThrownBy(() -> NoGradientClassifier.requireGradients(blackBox, "PGD"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("PGD needs input gradients, but model 'remote-api' has"
                        + " no gradients (black-box)")
                .hasMessageContaining("use a query attack (square, one-pixel)");
        try (TorchScriptClassifier whiteBox = TorchScriptClassifier.load(tinyCnn(), INPUT_SHAPE)) {
            assertThatCode(() -> NoGradientClassifier.requireGradients(whiteBox, "PGD"))
                    .doesNotThrowAnyException();
        }
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> NoGradientClassifier.of("x", new Shape(64), 3, x -> x))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NoGradientClassifier.of("x", INPUT_SHAPE, 1, x -> x))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static Path tinyCnn() throws Exception {
        return Paths.get(NoGradientClassifierTest.class.getResource("/torchscript/tiny_cnn.pt")
                .toURI());
    }
}
