package org.parry.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.model.BlockClassifier;
import org.parry.train.TrainingObjective.StepLoss;

/**
 * Trains a {@link BlockClassifier} with a {@link TrainingObjective}: seeded shuffling, mini-batch
 * steps with the chosen optimizer and schedule, a checkpoint after every epoch, and resumption
 * from the last checkpoint. A run is reproducible: epoch e shuffles with a seed derived from
 * (seed, e) and reseeds PyTorch the same way, so a resumed run ends with the same weights as an
 * uninterrupted one.
 *
 * <p>Each step runs in its own NDManager. The objective's {@code prepare} sees the model in
 * evaluation mode with frozen parameters (attacks leave no parameter gradients behind); only the
 * training forward pass runs with trainable parameters. Not thread-safe (one PyTorch gradient
 * collector per process).
 */
public final class Trainer {

    private static final Predicate<Parameter> TRAINABLE = p ->
            p.getType() != Parameter.Type.RUNNING_MEAN && p.getType() != Parameter.Type.RUNNING_VAR;

    private final TrainingSettings settings;
    private final TrainingObjective objective;
    private final TrainingListener listener;

    public Trainer(TrainingSettings settings, TrainingObjective objective,
            TrainingListener listener) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.objective = Objects.requireNonNull(objective, "objective");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * Trains {@code model} in place.
     *
     * @param checkpoints directory for per-epoch checkpoints, or null for none
     * @param resume continue from the checkpoint in {@code checkpoints} if there is one
     * @return the metrics of every epoch, including those of a resumed run's earlier epochs
     */
    public List<EpochMetrics> fit(BlockClassifier model, ImageDataset data, Path checkpoints,
            boolean resume) throws IOException {
        if (data.size() == 0) {
            throw new IllegalArgumentException("the training set is empty");
        }
        if (!data.imageShape().equals(model.inputShape())) {
            throw new IllegalArgumentException("data set '" + data.name() + "' has images of shape "
                    + data.imageShape() + " but the model expects " + model.inputShape());
        }
        Block block = model.block();
        List<Parameter> trainable = block.getParameters().values().stream()
                .filter(TRAINABLE).toList();
        List<EpochMetrics> history = new ArrayList<>();
        try (NDManager optimizerState = model.manager().newSubManager()) {
            Optimizer optimizer = Optimizer.of(settings, optimizerState);
            int firstEpoch = 1;
            if (resume && Checkpoint.exists(checkpoints)) {
                Checkpoint checkpoint = Checkpoint.read(checkpoints);
                requireCompatible(checkpoint);
                Checkpoint.restore(checkpoints, block, optimizer, model.manager());
                history.addAll(checkpoint.history());
                firstEpoch = checkpoint.epochsCompleted() + 1;
            }
            int batches = data.numBatches(settings.batchSize());
            listener.onStart(firstEpoch, settings.epochs(), batches);
            LearningRateSchedule schedule = LearningRateSchedule.of(settings);
            for (int epoch = firstEpoch; epoch <= settings.epochs(); epoch++) {
                EpochMetrics metrics = runEpoch(model, trainable, optimizer, schedule, data, epoch);
                history.add(metrics);
                if (checkpoints != null) {
                    new Checkpoint(epoch, settings, objective.name(), history)
                            .write(checkpoints, block, optimizer);
                }
                listener.onEpoch(metrics);
            }
        } finally {
            block.freezeParameters(true);
        }
        return history;
    }

    private EpochMetrics runEpoch(BlockClassifier model, List<Parameter> trainable,
            Optimizer optimizer, LearningRateSchedule schedule, ImageDataset data, int epoch) {
        Engine.getInstance().setRandomSeed(Long.hashCode(epochSeed(epoch)));
        ImageDataset order = data.shuffled(epochSeed(epoch));
        int batches = order.numBatches(settings.batchSize());
        long start = System.nanoTime();
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        float rate = 0f;
        for (int b = 0; b < batches; b++) {
            rate = schedule.rate(epoch - 1 + (double) b / batches);
            try (NDManager step = model.manager().newSubManager()) {
                Batch batch = order.batchNumber(step, b, settings.batchSize());
                StepResult result = step(model, trainable, optimizer, rate, batch, step);
                lossSum += result.loss() * batch.size();
                correct += result.correct();
                seen += batch.size();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            listener.onBatch(epoch, b + 1, batches, lossSum / seen, (double) correct / seen,
                    seen / seconds);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new EpochMetrics(epoch, lossSum / seen, (double) correct / seen, rate, seconds,
                seen / seconds);
    }

    private record StepResult(double loss, long correct) {}

    private StepResult step(BlockClassifier model, List<Parameter> trainable, Optimizer optimizer,
            float rate, Batch batch, NDManager step) {
        Block block = model.block();
        ParameterStore store = model.parameterStore();
        block.freezeParameters(true);
        Batch prepared = objective.prepare(model, batch);
        block.freezeParameters(false, TRAINABLE);
        StepLoss loss;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            loss = objective.loss(
                    x -> block.forward(store, new NDList(x), true).singletonOrThrow(), prepared);
            collector.backward(loss.loss());
        }
        List<NDArray> weights = new ArrayList<>(trainable.size());
        for (Parameter parameter : trainable) {
            weights.add(parameter.getArray());
        }
        step.tempAttachAll(new NDList(weights));
        List<NDArray> gradients = new ArrayList<>(weights.size());
        for (NDArray weight : weights) {
            gradients.add(weight.getGradient());
        }
        block.freezeParameters(true);
        float lossValue = loss.loss().getFloat();
        if (!Float.isFinite(lossValue)) {
            throw new IllegalStateException("training diverged: the loss is " + lossValue
                    + " at learning rate " + rate + "; lower the learning rate");
        }
        long correct = loss.logits().argMax(1).toType(loss.labels().getDataType(), false)
                .eq(loss.labels()).sum().getLong();
        optimizer.update(weights, gradients, rate, step);
        for (NDArray weight : weights) {
            JniUtils.zeroGrad((PtNDArray) weight);
        }
        return new StepResult(lossValue, correct);
    }

    private long epochSeed(int epoch) {
        return settings.seed() * 1_000_003L + epoch;
    }

    private void requireCompatible(Checkpoint checkpoint) {
        TrainingSettings saved = checkpoint.settings();
        TrainingSettings extended = saved.toBuilder().optEpochs(settings.epochs()).build();
        if (!extended.equals(settings) || !checkpoint.objective().equals(objective.name())) {
            throw new IllegalArgumentException("the checkpoint was written with different settings ("
                    + saved + ", objective " + checkpoint.objective() + ") than this run ("
                    + settings + ", objective " + objective.name()
                    + "); resume with the same settings, or delete the checkpoint to start over");
        }
        if (checkpoint.epochsCompleted() > settings.epochs()) {
            throw new IllegalArgumentException("the checkpoint has " + checkpoint.epochsCompleted()
                    + " epochs done, more than the " + settings.epochs() + " asked for");
        }
    }
}
