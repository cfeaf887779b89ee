package org.parry.defense.purify;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.engine.Backward;
import org.parry.model.Bounds;
import org.parry.train.EpochMetrics;
import org.parry.train.LearningRateSchedule;
import org.parry.train.Optimizer;
import org.parry.train.TrainingListener;
import org.parry.train.TrainingSettings;

/**
 * Trains MagNet's denoising autoencoders (Meng and Chen, ACM CCS 2017) on clean images: each step
 * corrupts a batch x with Gaussian noise, x̃ = clip(x + v·z, 0, 1), z ~ N(0, I), and minimizes the
 * mean squared error of the reconstruction to the clean x. For a team of n autoencoders trained
 * jointly, MagNet's gray-box defense adds a diversity term with weight α:
 * <pre>
 *   L = Σ_i MSE(AE_i(x̃), x) − α · Σ_i MSE(AE_i(x̃), m),     m = (1/n) Σ_j AE_j(x̃)
 * </pre>
 * (m is not detached, as in the authors' code). Since Σ_i ‖a_i − x‖² = n‖m − x‖² + Σ_i ‖a_i −
 * m‖², the loss is n·MSE(m, x) + (1 − α)·Σ_i MSE(a_i, m): for α in [0, 1) the AEs still agree on
 * the clean image at the optimum, and α only lowers the price of disagreeing elsewhere (at α ≥ 1
 * disagreement would cost nothing, so {@link MagNetSettings} refuses it). With α = 0 the AEs
 * train as n independent ones (Adam updates each parameter on its own).
 *
 * <p>Adam and the schedule are the trainer's ({@link TrainingSettings}; MagNet's code: Adam 1e-3,
 * batch 256). Deviations from that code: the noise is drawn afresh for every batch (the code draws
 * one noisy copy of the training set and reuses it every epoch), and a team trains jointly from
 * the start (the code first trains each AE alone for 3 epochs). A run is reproducible: epoch e
 * shuffles with a seed derived from (seed, e) and reseeds PyTorch's generator, which draws the
 * noise. Every backward pass goes through {@link Backward}; each step runs in its own manager.
 * Not thread-safe (one PyTorch gradient collector per process).
 */
public final class AutoencoderTraining {

    /** The mean reconstruction error Σ_i MSE(AE_i(x̃), x) / n over an epoch. */
    public static final String RECONSTRUCTION = "reconstruction_mse";
    /** The mean disagreement Σ_i MSE(AE_i(x̃), m) / n over an epoch. */
    public static final String DISAGREEMENT = "disagreement_mse";

    private AutoencoderTraining() {}

    /**
     * Trains {@code team} in place on {@code data}.
     *
     * @param noise v, the noise's standard deviation (MagNet: 0.1 on MNIST, 0.025 on CIFAR-10)
     * @param diversity α in [0, 1); 0 for a single autoencoder
     * @param settings epochs, batch size, learning rate, schedule and seed; the optimizer is the
     *     one they name (MagNet: adam)
     * @return one entry per epoch: loss L, accuracy NaN (an autoencoder has none), and the
     *     {@link #RECONSTRUCTION} and {@link #DISAGREEMENT} statistics
     */
    public static List<EpochMetrics> fit(List<DenoisingAutoencoder> team, ImageDataset data,
            float noise, float diversity, TrainingSettings settings, TrainingListener listener) {
        if (team.isEmpty()) {
            throw new IllegalArgumentException("no autoencoder to train");
        }
        MagNetSettings.requireNoise(noise);
        MagNetSettings.requireDiversity(diversity);
        for (DenoisingAutoencoder autoencoder : team) {
            if (!autoencoder.imageShape().equals(data.imageShape())) {
                throw new IllegalArgumentException("data set '" + data.name() + "' has images of"
                        + " shape " + data.imageShape() + " but the autoencoder reconstructs "
                        + autoencoder.imageShape());
            }
        }
        List<Parameter> parameters = new ArrayList<>();
        team.forEach(autoencoder -> parameters.addAll(autoencoder.parameters()));
        LearningRateSchedule schedule = LearningRateSchedule.of(settings);
        int batches = data.numBatches(settings.batchSize());
        listener.onStart(1, settings.epochs(), batches);
        List<EpochMetrics> history = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            Optimizer optimizer = Optimizer.of(settings, manager);
            for (int epoch = 1; epoch <= settings.epochs(); epoch++) {
                long seed = settings.seed() * 1_000_003L + epoch;
                Engine.getInstance().setRandomSeed(Long.hashCode(seed));
                ImageDataset order = data.shuffled(seed);
                long start = System.nanoTime();
                double[] sums = new double[3];
                long seen = 0;
                float rate = 0f;
                for (int b = 0; b < batches; b++) {
                    rate = schedule.rate(epoch - 1 + (double) b / batches);
                    try (NDManager step = manager.newSubManager()) {
                        Batch batch = order.batchNumber(step, b, settings.batchSize());
                        float[] losses = step(team, parameters, optimizer, rate, batch.x(), noise,
                                diversity, step);
                        for (int k = 0; k < sums.length; k++) {
                            sums[k] += losses[k] * batch.size();
                        }
                        seen += batch.size();
                    }
                    listener.onBatch(epoch, b + 1, batches, sums[0] / seen, Double.NaN,
                            seen / ((System.nanoTime() - start) / 1e9));
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                EpochMetrics metrics = new EpochMetrics(epoch, sums[0] / seen, Double.NaN, rate,
                        seconds, seen / seconds, Map.of(RECONSTRUCTION, sums[1] / seen / team.size(),
                                DISAGREEMENT, sums[2] / seen / team.size()));
                history.add(metrics);
                listener.onEpoch(metrics);
            }
        }
        return history;
    }

    /** One Adam step; returns L, Σ_i MSE(a_i, x) and Σ_i MSE(a_i, m) of the batch. */
    private static float[] step(List<DenoisingAutoencoder> team, List<Parameter> parameters,
            Optimizer optimizer, float rate, NDArray x, float noise, float diversity,
            NDManager step) {
        NDArray noisy = Bounds.UNIT.clip(
                x.add(step.randomNormal(0f, noise, x.getShape(), DataType.FLOAT32)));
        NDArray loss;
        NDArray reconstruction;
        NDArray disagreement;
        List<NDArray> weights = new ArrayList<>(parameters.size());
        List<NDArray> gradients = new ArrayList<>(parameters.size());
        team.forEach(autoencoder -> autoencoder.freeze(false));
        try {
            try (GradientCollector collector = Backward.collector()) {
                NDList outputs = new NDList();
                team.forEach(autoencoder -> outputs.add(autoencoder.forward(noisy, true)));
                NDArray all = NDArrays.stack(outputs);
                NDArray mean = all.mean(new int[] {0});
                Shape perAutoencoder = new Shape(team.size(), -1);
                reconstruction = all.sub(x).square().reshape(perAutoencoder).mean(new int[] {1})
                        .sum();
                disagreement = all.sub(mean).square().reshape(perAutoencoder).mean(new int[] {1})
                        .sum();
                loss = reconstruction.sub(disagreement.mul(diversity));
                Backward.run(collector, loss);
            }
            parameters.forEach(parameter -> weights.add(parameter.getArray()));
            step.tempAttachAll(new NDList(weights));
            weights.forEach(weight -> gradients.add(weight.getGradient()));
        } finally {
            team.forEach(autoencoder -> autoencoder.freeze(true));
        }
        float value = loss.getFloat();
        if (!Float.isFinite(value)) {
            throw new IllegalStateException("autoencoder training diverged: the loss is " + value
                    + " at learning rate " + rate + "; lower the learning rate");
        }
        optimizer.update(weights, gradients, rate, step);
        weights.forEach(weight -> JniUtils.zeroGrad((PtNDArray) weight));
        return new float[] {value, reconstruction.getFloat(), disagreement.getFloat()};
    }
}
