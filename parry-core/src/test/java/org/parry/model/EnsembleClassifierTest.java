package org.parry.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.EnsembleClassifier.Combination;

/**
 * The ensemble's logits are the members' mean; its two gradients are what they claim (the mean of
 * the members' gradients; the gradient of the loss of the mean logits, checked by finite
 * differences); members of different tasks, black-box members and ownership.
 */
class EnsembleClassifierTest {

    private static final Shape INPUT = new Shape(1, 12, 12);

    private static BlockClassifier mlp(long seed) {
        return ZooModels.initialized("mlp", INPUT, 5, 16, seed, DataType.FLOAT64);
    }

    private static NDArray inputs(NDManager manager) {
        return manager.randomUniform(0f, 1f, new Shape(6).addAll(INPUT))
                .toType(DataType.FLOAT64, false);
    }

    private static double maxDifference(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getDouble();
    }

    @Test
    void logitsAreTheMembersMean() {
        try (BlockClassifier a = mlp(1); BlockClassifier b = mlp(2); BlockClassifier c = mlp(3);
                NDManager manager = NDManager.newBaseManager()) {
            NDArray x = inputs(manager);
            EnsembleClassifier ensemble = EnsembleClassifier.of(List.of(a, b, c), Combination.LOGITS);
            NDArray expected = a.logits(x).add(b.logits(x)).add(c.logits(x)).div(3);
            assertThat(maxDifference(ensemble.logits(x), expected)).isLessThan(1e-12);
            assertThat(ensemble.hasGradients()).isTrue();
            assertThat(ensemble.name()).isEqualTo("ensemble(mlp, mlp, mlp)");
        }
    }

    @Test
    void averagedLossesGiveTheMeanGradient() {
        try (BlockClassifier a = mlp(1); BlockClassifier b = mlp(2);
                NDManager manager = NDManager.newBaseManager()) {
            NDArray x = inputs(manager);
            NDArray y = manager.create(new int[] {0, 1, 2, 3, 4, 0});
            LossGradient ga = a.lossGradient(x, y, CrossEntropyLoss.get());
            LossGradient gb = b.lossGradient(x, y, CrossEntropyLoss.get());
            LossGradient mean = EnsembleClassifier.of(List.of(a, b), Combination.LOSSES)
                    .lossGradient(x, y, CrossEntropyLoss.get());
            assertThat(maxDifference(mean.gradient(), ga.gradient().add(gb.gradient()).div(2)))
                    .isLessThan(1e-12);
            assertThat(maxDifference(mean.loss(), ga.loss().add(gb.loss()).div(2)))
                    .isLessThan(1e-12);
            assertThat(maxDifference(mean.logits(), ga.logits().add(gb.logits()).div(2)))
                    .isLessThan(1e-12);
        }
    }

    /**
     * The chain-rule gradient of the loss of the mean logits agrees with finite differences of
     * that loss (the ensemble's own logits), and differs from the mean of the members' gradients:
     * the two combinations are different objectives.
     */
    @Test
    void lossOfTheMeanLogitsHasTheRightGradient() {
        try (BlockClassifier a = mlp(1); BlockClassifier b = mlp(2);
                NDManager manager = NDManager.newBaseManager()) {
            NDArray x = inputs(manager);
            NDArray y = manager.create(new int[] {0, 1, 2, 3, 4, 0});
            EnsembleClassifier ensemble = EnsembleClassifier.of(List.of(a, b), Combination.LOGITS);
            // float64, h = 1e-4: a right gradient agrees to ~1e-6 (see ZooGradientTest)
            double error = GradientCheck.maxRelativeError(ensemble, x, y, CrossEntropyLoss.get(), 3,
                    1e-4f, 5);
            assertThat(error).isLessThan(1e-3);
            LossGradient ofMean = ensemble.lossGradient(x, y, CrossEntropyLoss.get());
            NDArray meanLogits = ensemble.logits(x);
            assertThat(maxDifference(ofMean.loss(),
                    CrossEntropyLoss.get().perSample(meanLogits, y))).isLessThan(1e-12);
            LossGradient ofLosses = EnsembleClassifier.of(List.of(a, b), Combination.LOSSES)
                    .lossGradient(x, y, CrossEntropyLoss.get());
            assertThat(maxDifference(ofMean.gradient(), ofLosses.gradient())).isGreaterThan(1e-6);
        }
    }

    @Test
    void anEnsembleOfOneIsTheModel() {
        try (BlockClassifier a = mlp(4); NDManager manager = NDManager.newBaseManager()) {
            NDArray x = inputs(manager);
            NDArray y = manager.create(new int[] {4, 3, 2, 1, 0, 1});
            LossGradient alone = a.lossGradient(x, y, CrossEntropyLoss.get());
            for (Combination combination : Combination.values()) {
                LossGradient one = EnsembleClassifier.of(List.of(a), combination)
                        .lossGradient(x, y, CrossEntropyLoss.get());
                assertThat(maxDifference(one.gradient(), alone.gradient())).as(combination.id())
                        .isLessThan(1e-12);
            }
        }
    }

    @Test
    void membersMustShareTheTask() {
        try (BlockClassifier a = mlp(1);
                BlockClassifier fewerClasses = ZooModels.initialized("mlp", INPUT, 3, 16, 2);
                BlockClassifier otherShape = ZooModels.initialized("mlp", new Shape(1, 10, 10), 5,
                        16, 3)) {
            assertThatThrownBy(() -> EnsembleClassifier.of(List.of(a, fewerClasses),
                    Combination.LOGITS))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("with 3 classes").hasMessageContaining("with 5 classes")
                    .hasMessageContaining("same task");
            assertThatThrownBy(() -> EnsembleClassifier.of(List.of(a, otherShape),
                    Combination.LOGITS))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("(1, 10, 10)").hasMessageContaining("(1, 12, 12)");
            Classifier otherBox = new ForwardingClassifier(a) {
                @Override
                public Bounds bounds() {
                    return new Bounds(-1f, 1f);
                }
            };
            assertThatThrownBy(() -> EnsembleClassifier.of(List.of(a, otherBox),
                    Combination.LOGITS))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("[-1.0, 1.0]").hasMessageContaining("same input box");
            assertThatThrownBy(() -> EnsembleClassifier.of(List.of(), Combination.LOGITS))
                    .hasMessageContaining("at least one member");
        }
    }

    @Test
    void aBlackBoxMemberMakesTheEnsembleBlackBox() {
        try (BlockClassifier a = mlp(1); BlockClassifier b = mlp(2);
                NDManager manager = NDManager.newBaseManager()) {
            NoGradientClassifier hidden = NoGradientClassifier.of("remote", INPUT, 5, b::logits);
            EnsembleClassifier ensemble = EnsembleClassifier.of(List.of(a, hidden),
                    Combination.LOGITS);
            assertThat(ensemble.hasGradients()).isFalse();
            NDArray x = inputs(manager).toType(DataType.FLOAT32, false);
            NDArray y = manager.create(new int[] {0, 1, 2, 3, 4, 0});
            assertThatThrownBy(() -> ensemble.lossGradient(x, y, CrossEntropyLoss.get()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("'remote' has no gradients");
        }
    }

    @Test
    void closesMembersOnlyWhenItOwnsThem() {
        boolean[] closed = new boolean[2];
        try (BlockClassifier a = mlp(1)) {
            Classifier first = closeRecorder(a, closed, 0);
            Classifier second = closeRecorder(a, closed, 1);
            EnsembleClassifier.of(List.of(first, second), Combination.LOGITS).close();
            assertThat(closed).containsExactly(false, false);
            EnsembleClassifier.owning(List.of(first, second), Combination.LOGITS).close();
            assertThat(closed).containsExactly(true, true);
        }
    }

    private static Classifier closeRecorder(Classifier model, boolean[] closed, int index) {
        return new ForwardingClassifier(model) {
            @Override
            public void close() {
                closed[index] = true;
            }
        };
    }
}
