package org.parry.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.parry.data.Batch;
import org.parry.engine.Backward;
import org.parry.engine.EngineCheck;
import org.parry.engine.ForwardCheck;
import org.parry.engine.SelfTest;
import org.parry.loss.CrossEntropyLoss;
import org.parry.data.ImageDataset;
import org.parry.data.LabelNoise;
import org.parry.io.AtomicFiles;
import org.parry.model.BlockClassifier;
import org.parry.model.Layers;
import org.parry.model.zoo.CosineLinear;
import org.parry.model.zoo.SideOutputs;
import org.parry.model.SavedModel;
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

    private static final String BEST_WEIGHTS = "best.params";

    private final TrainingSettings settings;
    private final TrainingObjective objective;
    private final TrainingListener listener;
    private final RobustnessMonitor monitor;
    private static final int CHECK_SEED = 20261205;
    /** Whether oneDNN's backward trains the model of the current fit (checked when it starts). */
    private boolean oneDnnVerified;

    public Trainer(TrainingSettings settings, TrainingObjective objective,
            TrainingListener listener) {
        this(settings, objective, listener, null);
    }

    /**
     * @param monitor measures robustness after every epoch and stops a collapsing run, restoring
     *     its best epoch; null for none
     */
    public Trainer(TrainingSettings settings, TrainingObjective objective,
            TrainingListener listener, RobustnessMonitor monitor) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.objective = Objects.requireNonNull(objective, "objective");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.monitor = monitor;
    }

    /**
     * Trains {@code model} in place.
     *
     * @param checkpoints directory for per-epoch checkpoints, or null for none
     * @param resume continue from the checkpoint in {@code checkpoints} if there is one
     * @param data the training images; with {@link TrainingSettings#labelNoise} their labels are
     *     made noisy here (a monitor's held-out images keep theirs)
     * @return the metrics of every epoch, including those of a resumed run's earlier epochs; when
     *     the monitor stopped the run, the last entry says so and the model holds the best
     *     epoch's weights
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
        data = LabelNoise.symmetric(data, settings.labelNoise(), settings.seed());
        Block block = model.block();
        Set<Parameter> frozen = settings.spartaFrom() == null ? Set.of()
                : SpartaTransfer.copy(Path.of(settings.spartaFrom()), model);
        List<Parameter> trainable = block.getParameters().values().stream()
                .filter(TRAINABLE).filter(p -> !frozen.contains(p)).toList();
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
            try (NDManager check = model.manager().newSubManager()) {
                Batch first = data.batch(check, 0, Math.min(data.size(), settings.batchSize()));
                model.checkKernels(first.x());
                oneDnnVerified = oneDnnTrainsRight(model, trainable, first);
            }
            int batches = data.numBatches(settings.batchSize());
            listener.onStart(firstEpoch, settings.epochs(), batches);
            LearningRateSchedule schedule = LearningRateSchedule.of(settings);
            Path best = bestWeights(checkpoints);
            for (int epoch = firstEpoch; epoch <= settings.epochs() && !stopped(history); epoch++) {
                EpochMetrics metrics = runEpoch(model, trainable, optimizer, schedule, data, epoch);
                if (monitor != null) {
                    metrics = monitored(model, metrics, history, best);
                }
                history.add(metrics);
                if (checkpoints != null) {
                    new Checkpoint(epoch, settings, objective.name(), history)
                            .write(checkpoints, block, optimizer);
                }
                listener.onEpoch(metrics);
            }
            if (stopped(history)) {
                SavedModel.readWeights(block, model.manager(), best);
            }
        } finally {
            block.freezeParameters(true);
        }
        return history;
    }

    /**
     * Adds the monitor's reading to an epoch's metrics, keeps the best epoch's weights in
     * {@code best}, and marks a collapse (with the epoch to restore).
     */
    private EpochMetrics monitored(BlockClassifier model, EpochMetrics metrics,
            List<EpochMetrics> history, Path best) throws IOException {
        Map<String, Double> statistics = new LinkedHashMap<>(metrics.statistics());
        Map<String, Double> reading = monitor.measure(model);
        statistics.putAll(reading);
        EpochMetrics bestEpoch = history.stream()
                .filter(e -> e.statistics().containsKey(RobustnessMonitor.PGD))
                .max(Comparator.comparingDouble(e -> e.statistics().get(RobustnessMonitor.PGD)))
                .orElse(null);
        double bestPgd = bestEpoch == null ? Double.NaN
                : bestEpoch.statistics().get(RobustnessMonitor.PGD);
        if (monitor.collapsed(reading, bestPgd)) {
            statistics.put(RobustnessMonitor.COLLAPSED, 1.0);
            statistics.put(RobustnessMonitor.RESTORED_EPOCH, (double) bestEpoch.epoch());
        } else if (Double.isNaN(bestPgd) || reading.get(RobustnessMonitor.PGD) > bestPgd) {
            AtomicFiles.write(best, out -> model.block().saveParameters(new DataOutputStream(out)));
        }
        return new EpochMetrics(metrics.epoch(), metrics.loss(), metrics.accuracy(),
                metrics.learningRate(), metrics.seconds(), metrics.imagesPerSecond(), statistics);
    }

    private static boolean stopped(List<EpochMetrics> history) {
        return !history.isEmpty()
                && history.get(history.size() - 1).statistics().containsKey(RobustnessMonitor.COLLAPSED);
    }

    private Path bestWeights(Path checkpoints) throws IOException {
        if (monitor == null) {
            return null;
        }
        Path directory = checkpoints != null ? checkpoints : Files.createTempDirectory("parry-best");
        if (checkpoints == null) {
            directory.toFile().deleteOnExit();
            directory.resolve(BEST_WEIGHTS).toFile().deleteOnExit();
        }
        return directory.resolve(BEST_WEIGHTS);
    }

    private EpochMetrics runEpoch(BlockClassifier model, List<Parameter> trainable,
            Optimizer optimizer, LearningRateSchedule schedule, ImageDataset data, int epoch) {
        Engine.getInstance().setRandomSeed(Long.hashCode(epochSeed(epoch)));
        objective.startEpoch(epoch, settings.epochs());
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
                seen / seconds, objective.epochStatistics());
    }

    private record StepResult(double loss, long correct) {}

    /**
     * Whether oneDNN's backward may train this model: always where the engine self-test passed on
     * libtorch's default kernels; where it failed (oneDNN's input gradients were wrong for some
     * convolution shapes on one AVX-512 CPU), only if every parameter gradient of this model on
     * its first batch agrees with the bypass's to 1e-4. It runs before the first epoch seeds the
     * random numbers and puts batch-norm statistics back as they were, so a resumed run still
     * trains as an uninterrupted one.
     */
    private static boolean oneDnnTrainsRight(BlockClassifier model, List<Parameter> trainable,
            Batch batch) {
        if (ForwardCheck.fault().isPresent()) {
            return false; // oneDNN is off for the process: nothing to verify
        }
        if (!EngineCheck.bypassOneDnn()) {
            return true;
        }
        Block block = model.block();
        List<Parameter> statistics = block.getParameters().values().stream()
                .filter(p -> p.getType() == Parameter.Type.RUNNING_MEAN
                        || p.getType() == Parameter.Type.RUNNING_VAR)
                .toList();
        trainable.forEach(parameter -> parameter.freeze(false));
        try (NDManager scope = batch.x().getManager().newSubManager()) {
            List<NDArray> saved = new ArrayList<>();
            for (Parameter statistic : statistics) {
                NDArray copy = statistic.getArray().duplicate();
                copy.attach(scope);
                saved.add(copy);
            }
            List<NDArray> bypassed = parameterGradients(model, trainable, batch, false, scope);
            List<NDArray> oneDnn = parameterGradients(model, trainable, batch, true, scope);
            for (int i = 0; i < statistics.size(); i++) {
                statistics.get(i).getArray().set(new NDIndex("..."), saved.get(i));
            }
            for (int i = 0; i < bypassed.size(); i++) {
                double error = oneDnn.get(i).sub(bypassed.get(i)).norm().getDouble()
                        / Math.max(bypassed.get(i).norm().getDouble(), 1e-30);
                if (!(error <= SelfTest.FLOAT32_LIMIT)) {
                    return false;
                }
            }
            return true;
        } finally {
            block.freezeParameters(true);
        }
    }

    private static List<NDArray> parameterGradients(BlockClassifier model,
            List<Parameter> trainable, Batch batch, boolean oneDnn, NDManager scope) {
        // the same random draws (dropout masks) in both passes; the epoch reseeds afterwards
        Engine.getInstance().setRandomSeed(CHECK_SEED);
        try (GradientCollector collector = Backward.collector()) {
            NDArray logits = model.block().forward(model.parameterStore(),
                    new NDList(batch.x()), true).singletonOrThrow();
            Backward.run(collector, CrossEntropyLoss.get().perSample(logits, batch.y()).sum(),
                    oneDnn);
        }
        List<NDArray> gradients = new ArrayList<>(trainable.size());
        for (Parameter parameter : trainable) {
            NDArray gradient = parameter.getArray().getGradient().toType(DataType.FLOAT64, true);
            gradient.attach(scope);
            gradients.add(gradient);
            JniUtils.zeroGrad((PtNDArray) parameter.getArray());
        }
        return gradients;
    }

    /**
     * How the last {@link #fit} computed gradients, for the model card: {@code "onednn"}
     * (libtorch's default kernels), {@code "onednn (verified against the bypass)"} where the
     * engine bypasses oneDNN but this model's first-batch gradients agreed, or {@code "libtorch
     * (oneDNN bypassed)"}.
     */
    public String backwardKernels() {
        if (ForwardCheck.fault().isPresent()) {
            return "libtorch (oneDNN off: " + ForwardCheck.fault().get() + ")";
        }
        if (!EngineCheck.bypassOneDnn()) {
            return "onednn";
        }
        return oneDnnVerified ? "onednn (verified against the bypass)" : "libtorch (oneDNN bypassed)";
    }

    private StepResult step(BlockClassifier model, List<Parameter> trainable, Optimizer optimizer,
            float rate, Batch batch, NDManager step) {
        Batch augmented = settings.noiseAugmentation() ? GaussianAugmentation.apply(batch) : batch;
        List<NDArray> weights = new ArrayList<>(trainable.size());
        for (Parameter parameter : trainable) {
            weights.add(parameter.getArray());
        }
        step.tempAttachAll(new NDList(weights));
        StepLoss[] loss = {attempt(model, trainable, augmented)};
        NDArray total = loss[0].loss();
        if (!Float.isFinite(total.getFloat())) {
            // oneDNN's intermittent non-finite outputs (ForwardCheck): the same step once more on
            // libtorch's own kernels, its gradients from scratch; oneDNN stays off if that is finite
            weights.forEach(weight -> JniUtils.zeroGrad((PtNDArray) weight));
            total = ForwardCheck.retryWithoutOneDnn("the training step of model '" + model.name()
                    + "'", ignored -> {
                        loss[0] = attempt(model, trainable, augmented);
                        return loss[0].loss();
                    }, total).orElse(total);
        }
        List<NDArray> gradients = new ArrayList<>(weights.size());
        for (NDArray weight : weights) {
            gradients.add(weight.getGradient());
        }
        model.block().freezeParameters(true);
        float lossValue = total.getFloat();
        if (!Float.isFinite(lossValue)) {
            throw new IllegalStateException("training diverged: the loss is " + lossValue
                    + " at learning rate " + rate + "; lower the learning rate");
        }
        long correct = loss[0].logits().argMax(1).toType(loss[0].labels().getDataType(), false)
                .eq(loss[0].labels()).sum().getLong();
        optimizer.update(weights, gradients, rate, step);
        for (NDArray weight : weights) {
            JniUtils.zeroGrad((PtNDArray) weight);
        }
        return new StepResult(lossValue, correct);
    }

    /**
     * One forward and backward pass of the objective on a batch, the parameters' gradients
     * accumulated and left trainable for the caller to read; returns the step's loss with the
     * auxiliary losses in {@code loss()}.
     */
    private StepLoss attempt(BlockClassifier model, List<Parameter> trainable, Batch batch) {
        Block block = model.block();
        block.freezeParameters(true);
        PreparedBatch prepared = objective.prepare(model, batch);
        trainable.forEach(parameter -> parameter.freeze(false));
        try (GradientCollector collector = Backward.collector()) {
            AuxiliaryLosses auxiliary = new AuxiliaryLosses(prepared.y());
            StepLoss loss = objective.loss(network(block, model.parameterStore(), trainable,
                    auxiliary, () -> Layers.of(model)), prepared);
            NDArray total = auxiliary.total(loss.loss());
            Backward.run(collector, total, oneDnnVerified);
            return new StepLoss(total, loss.logits(), loss.labels());
        }
    }

    /** @param layers the model's layers, read only by an objective that edits hidden states */
    private static TrainingNetwork network(Block block, ParameterStore store,
            List<Parameter> trainable, AuxiliaryLosses auxiliary, Supplier<Layers> layers) {
        return new TrainingNetwork() {
            private Layers read;

            @Override
            public NDArray logits(NDArray x) {
                try (SideOutputs side = auxiliary.open(x)) {
                    NDArray logits = block.forward(store, new NDList(x), true).singletonOrThrow();
                    auxiliary.collect(side);
                    return logits;
                }
            }

            @Override
            public int hiddenPoints() {
                return layers().stageOutputs().size();
            }

            @Override
            public NDArray logits(NDArray x, int point, UnaryOperator<NDArray> edit) {
                if (point < 0 || point > hiddenPoints()) {
                    throw new IllegalArgumentException("point " + point + " is not in 0.."
                            + hiddenPoints() + " (the input and the outputs of this network's"
                            + " stages but the last)");
                }
                if (point == 0) {
                    return logits(edit.apply(x));
                }
                try (SideOutputs side = auxiliary.open(x)) {
                    NDArray logits = layers().trainingForward(x,
                            layers().stageOutputs().get(point - 1), edit);
                    auxiliary.collect(side);
                    return logits;
                }
            }

            private Layers layers() {
                if (read == null) {
                    read = layers.get();
                }
                return read;
            }

            @Override
            public NDArray firstLayerWeight() {
                return trainable.stream()
                        .filter(p -> p.getType() == Parameter.Type.WEIGHT)
                        .filter(p -> p.getArray().getShape().dimension() == 4)
                        .findFirst()
                        .or(() -> trainable.stream()
                                .filter(p -> p.getType() == Parameter.Type.WEIGHT).findFirst())
                        .orElseThrow(() -> new IllegalStateException("the network has no weights"))
                        .getArray();
            }

            @Override
            public void clearParameterGradients() {
                trainable.forEach(p -> JniUtils.zeroGrad((PtNDArray) p.getArray()));
            }

            @Override
            public OptionalDouble cosineScale() {
                return CosineLinear.scaleOf(block);
            }
        };
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
