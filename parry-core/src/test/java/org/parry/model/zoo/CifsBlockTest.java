package org.parry.model.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.data.ImageDataset;
import org.parry.data.SyntheticDataset;
import org.parry.engine.Backward;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.BlockClassifier;
import org.parry.model.LossGradient;
import org.parry.model.ModelCard;
import org.parry.model.Normalization;
import org.parry.model.SavedModel;
import org.parry.train.StandardObjective;
import org.parry.train.Trainer;
import org.parry.train.TrainingListener;
import org.parry.train.TrainingSettings;

/** CIFS: the closed-form mask is the code's autograd mask, and the joint loss is what trains and what attacks see. */
class CifsBlockTest {

    private static final int CLASSES = 5;

    /**
     * The code's mask, by autograd: the gradient of the two selected probe logits with respect to
     * a detached copy of z, summed over space, softmax over channels, times 2.
     */
    private static NDArray autogradMask(CifsBlock block, ParameterStore store, NDArray z,
            NDArray labels, boolean training) {
        NDArray leaf = z.duplicate();
        leaf.setRequiresGradient(true);
        try (GradientCollector collector = Backward.collector();
                SideOutputs side = SideOutputs.open(labels)) {
            block.forward(store, new NDList(leaf), training);
            NDArray probe = side.probes().get(0).logits();
            NDArray ranks = probe.stopGradient().topK(2, 1).get(1);
            NDArray first = labels != null && training ? labels : ranks.get(":, 0");
            NDArray selected = first.oneHot(CLASSES, z.getDataType())
                    .add(ranks.get(":, 1").oneHot(CLASSES, z.getDataType()));
            Backward.run(collector, probe.mul(selected).sum());
        }
        long[] shape = z.getShape().getShape();
        NDArray relevance = leaf.getGradient().reshape(shape[0], shape[1], -1).sum(new int[] {2});
        return relevance.softmax(1).mul(2);
    }

    @ParameterizedTest
    @CsvSource({"linear, false", "linear, true", "nonlinear, false", "nonlinear, true"})
    void closedFormMaskEqualsTheAutogradMask(String probe, boolean training) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(3);
            CifsBlock block = new CifsBlock(CifsProbe.parse(probe), CLASSES, 2f);
            Shape shape = new Shape(6, 8, 4, 4);
            block.initialize(manager, DataType.FLOAT64, shape);
            ParameterStore store = new ParameterStore(manager, false);
            NDArray z = manager.randomUniform(0.5f, 1.5f, shape).toType(DataType.FLOAT64, false);
            NDArray labels = manager.create(new int[] {0, 1, 2, 3, 4, 0});

            NDArray out;
            try (SideOutputs side = SideOutputs.open(labels)) {
                out = block.forward(store, new NDList(z), training).singletonOrThrow();
                assertThat(side.probes()).hasSize(1);
                assertThat(side.probes().get(0).logits().getShape()).isEqualTo(new Shape(6, CLASSES));
            }
            NDArray mask = out.div(z).reshape(6, 8, 16).mean(new int[] {2});
            NDArray expected = autogradMask(block, store, z, labels, training);
            assertThat(mask.sub(expected).abs().max().getDouble()).isLessThan(1e-9);
            assertThat(mask.min().getDouble()).isGreaterThanOrEqualTo(0);
            NDArray sums = mask.sum(new int[] {1});
            assertThat(sums.sub(2).abs().max().getDouble()).isLessThan(1e-12);
        }
    }

    @Test
    void trainingMaskUsesTheTrueClassAndEvaluationTheProbesTopTwo() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(4);
            CifsBlock block = new CifsBlock(CifsProbe.LINEAR, CLASSES, 2f);
            Shape shape = new Shape(8, 6, 3, 3);
            block.initialize(manager, DataType.FLOAT64, shape);
            ParameterStore store = new ParameterStore(manager, false);
            NDArray z = manager.randomUniform(0.5f, 1.5f, shape).toType(DataType.FLOAT64, false);
            // labels the probe does not rank first: the training mask must differ from eval's
            NDArray top1;
            try (SideOutputs side = SideOutputs.open(null)) {
                block.forward(store, new NDList(z), false);
                top1 = side.probes().get(0).logits().argMax(1);
            }
            NDArray labels = top1.add(2).mod(CLASSES).toType(DataType.INT32, false);
            NDArray train;
            NDArray eval;
            try (SideOutputs side = SideOutputs.open(labels)) {
                train = block.forward(store, new NDList(z), true).singletonOrThrow();
                eval = block.forward(store, new NDList(z), false).singletonOrThrow();
            }
            assertThat(train.sub(eval).abs().max().getDouble()).isGreaterThan(1e-6);
            // without labels (no scope), training falls back to the probe's own top two
            NDArray unlabelled = block.forward(store, new NDList(z), true).singletonOrThrow();
            assertThat(unlabelled.sub(eval).abs().max().getDouble()).isLessThan(1e-12);
        }
    }

    private static ModelCard card(ImageDataset data, CifsProbe probe) {
        return new ModelCard(ModelCard.FORMAT, "cnn3", 4, "relu", 1, new int[] {1, 28, 28},
                data.classNames(), Normalization.identity(1), data.name(), null, null, null, 0,
                "test", null).withOptions(new ArchitectureOptions(4, Nonlinearity.RELU, 1)
                        .withCifs(probe, 2f));
    }

    @Test
    void attacksDifferentiateTheJointLossAndHeadOnlyTheClassifiersLoss() {
        ImageDataset data = SyntheticDataset.generate(8, 10, 1, 28, 28, 1);
        try (BlockClassifier model = SavedModel.create(card(data, CifsProbe.NONLINEAR), 2);
                NDManager manager = NDManager.newBaseManager()) {
            assertThat(model.probes()).isEqualTo(1);
            assertThat(model.attacksJointLoss()).isTrue();
            var batch = data.batch(manager, 0, 8);
            LossGradient joint = model.lossGradient(batch.x(), batch.y(), CrossEntropyLoss.get());
            BlockClassifier head = model.headOnly();
            LossGradient alone = head.lossGradient(batch.x(), batch.y(), CrossEntropyLoss.get());
            assertThat(head.attacksJointLoss()).isFalse();
            NDArray mainLoss = CrossEntropyLoss.get().perSample(joint.logits(), batch.y());
            assertThat(alone.loss().sub(mainLoss).abs().max().getFloat()).isLessThan(1e-5f);
            NDArray probeLogits;
            try (SideOutputs side = SideOutputs.open(null)) {
                model.block().forward(model.parameterStore(), new NDList(batch.x()), false);
                probeLogits = side.probes().get(0).logits();
            }
            NDArray probeLoss = CrossEntropyLoss.get().perSample(probeLogits, batch.y());
            NDArray expected = mainLoss.add(probeLoss.mul(2f)).mul(1f); // 3/(2+1) = 1
            assertThat(joint.loss().sub(expected).abs().max().getFloat()).isLessThan(1e-5f);
            assertThat(joint.gradient().sub(alone.gradient()).abs().max().getFloat())
                    .isGreaterThan(1e-6f);
        }
    }

    @Test
    void theTrainerDescendsTheJointLoss() throws IOException {
        ImageDataset train = SyntheticDataset.generate(64, 10, 1, 28, 28, 1);
        try (BlockClassifier model = SavedModel.create(card(train, CifsProbe.LINEAR), 5);
                NDManager manager = NDManager.newBaseManager()) {
            var batch = train.batch(manager, 0, train.size());
            NDArray logits;
            NDArray probeLogits;
            try (SideOutputs side = SideOutputs.open(batch.y())) {
                logits = model.block().forward(model.parameterStore(), new NDList(batch.x()), true)
                        .singletonOrThrow();
                probeLogits = side.probes().get(0).logits();
            }
            float expected = CrossEntropyLoss.get().perSample(logits, batch.y()).mean()
                    .add(CrossEntropyLoss.get().perSample(probeLogits, batch.y()).mean().mul(2f))
                    .getFloat();
            // one full batch at a negligible rate: the epoch's loss is the joint loss at the start
            var history = new Trainer(TrainingSettings.builder().optEpochs(1).optBatchSize(64)
                    .optOptimizer("sgd").optMomentum(0f).optLearningRate(1e-12f).optSeed(5)
                    .build(), new StandardObjective(), TrainingListener.NONE)
                    .fit(model, train, null, false);
            assertThat(history.get(0).loss()).isCloseTo(expected, within(1e-4));
            float classifierOnly = CrossEntropyLoss.get().perSample(logits, batch.y()).mean()
                    .getFloat();
            assertThat(Math.abs(expected - classifierOnly)).isGreaterThan(0.1f);
        }
    }

    @Test
    void aTrainedCifsModelLearnsAndItsCardRebuildsIt(@TempDir Path dir) throws IOException {
        ImageDataset train = SyntheticDataset.generate(640, 10, 1, 28, 28, 1);
        ImageDataset test = SyntheticDataset.generate(200, 10, 1, 28, 28, 2);
        ModelCard card = card(train, CifsProbe.LINEAR);
        try (BlockClassifier model = SavedModel.create(card, 5);
                NDManager manager = NDManager.newBaseManager()) {
            new Trainer(TrainingSettings.builder().optEpochs(2).optBatchSize(64)
                    .optLearningRate(2e-3f).optSeed(5).build(), new StandardObjective(),
                    TrainingListener.NONE).fit(model, train, null, false);
            var batch = test.batch(manager, 0, test.size());
            NDArray y = batch.y().toType(DataType.INT64, false);
            double accuracy = model.logits(batch.x()).argMax(1).eq(y).sum().getLong()
                    / (double) test.size();
            assertThat(accuracy).isGreaterThan(0.9);

            SavedModel.save(dir, model, card);
            assertThat(SavedModel.readCard(dir).cifs()).isEqualTo("linear");
            try (BlockClassifier loaded = SavedModel.load(dir)) {
                assertThat(loaded.probes()).isEqualTo(1);
                assertThat(loaded.logits(batch.x()).sub(model.logits(batch.x())).abs().max()
                        .getFloat()).isZero();
            }
        }
    }

    @Test
    void anArchitectureThatCannotHostCifsSaysWhichCan() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ModelZoo.build("small-cnn",
                        new Shape(1, 28, 28), 10, ArchitectureOptions.DEFAULT.withCifs(
                                CifsProbe.LINEAR, 2f), Normalization.identity(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot host a cifs block")
                .hasMessageContaining("cnn3");
    }

    @Test
    void jointLossIsTheClassifierLossWithoutProbes() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray main = manager.create(new float[] {1f, 2f});
            assertThat(JointLoss.combine(main, List.of(), 2f)).isSameAs(main);
            NDArray probe = manager.create(new float[] {3f, 5f});
            // β = 1: 3/2 · (main + probe)
            assertThat(JointLoss.combine(main, List.of(probe), 1f).toFloatArray())
                    .containsExactly(6f, 10.5f);
        }
    }
}
