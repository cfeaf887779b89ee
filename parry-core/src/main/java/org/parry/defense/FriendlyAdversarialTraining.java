package org.parry.defense;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.parry.data.Batch;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.Classifier;
import org.parry.model.LossGradient;
import org.parry.norm.Norm;
import org.parry.train.PreparedBatch;
import org.parry.train.TrainingNetwork;
import org.parry.train.TrainingObjective;

/**
 * Friendly adversarial training, FAT (Zhang, Xu, Han, Niu, Cui, Sugiyama and Kankanhalli, "Attacks
 * which do not kill training make adversarial learning stronger", ICML 2020): train on the least
 * adversarial of the confidently misclassified points instead of the most adversarial one, found
 * by early-stopped PGD. Each example starts at x + U(−ε, ε) with a budget of τ extra steps; at each
 * of at most K steps, an example that is misclassified with no budget left is frozen (emitted as
 * it is), one misclassified with budget left spends one, and every active example takes the step
 * x ← Π(x + α·sign(∇ₓ CE) + ω·N(0, I)). Examples never misclassified run all K steps; τ = K is PGD
 * training. Only active examples are differentiated, so early stopping saves real compute; the
 * epoch statistic {@code fat_gradients_per_example} is the paper's "backprops per example".
 *
 * <p>Paper defaults: K = 10, α = 0.007 at ε = 8/255, ω = 0.001, and the dynamic τ (0 for the first
 * 50 of 120 epochs, 1 up to epoch 90, then 2), which Parry scales to the run's length.
 *
 * @param epsilon the L∞ radius
 * @param stepSize α
 * @param steps K, the most PGD steps
 * @param tau the budget, or -1 for the paper's dynamic schedule
 * @param noise ω, the standard deviation of the noise added to each step
 */
public final class FriendlyAdversarialTraining implements TrainingObjective {

    /** {@link #tau} value selecting the dynamic schedule. */
    public static final int DYNAMIC_TAU = -1;

    private final float epsilon;
    private final float stepSize;
    private final int steps;
    private final int tau;
    private final float noise;
    private int currentTau;
    private long gradientRows;
    private long examples;

    public FriendlyAdversarialTraining(float epsilon, float stepSize, int steps, int tau,
            float noise) {
        SignSteps.require(epsilon, stepSize, steps);
        if (tau < DYNAMIC_TAU || tau > steps) {
            throw new IllegalArgumentException("tau must be in 0.." + steps + " (at most the steps),"
                    + " or 'dynamic', got " + tau);
        }
        if (!(noise >= 0f) || Float.isInfinite(noise)) {
            throw new IllegalArgumentException("noise must be >= 0, got " + noise);
        }
        this.epsilon = epsilon;
        this.stepSize = stepSize;
        this.steps = steps;
        this.tau = tau;
        this.noise = noise;
        this.currentTau = tau == DYNAMIC_TAU ? 0 : tau;
    }

    @Override
    public String name() {
        return "fat";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = SignSteps.settings(epsilon, stepSize, steps);
        settings.put("tau", tau == DYNAMIC_TAU ? "dynamic" : tau);
        settings.put("noise", noise);
        return settings;
    }

    /** The paper's dynamic τ at epoch e of E: 0 while e·120/E ≤ 50, 1 while ≤ 90, then 2. */
    static int dynamicTau(int epoch, int epochs) {
        double paperEpoch = epoch * 120.0 / epochs;
        return paperEpoch <= 50 ? 0 : paperEpoch <= 90 ? 1 : 2;
    }

    @Override
    public void startEpoch(int epoch, int epochs) {
        currentTau = tau == DYNAMIC_TAU ? Math.min(steps, dynamicTau(epoch, epochs)) : tau;
        gradientRows = 0;
        examples = 0;
    }

    /** The budget the next batches use. */
    public int currentTau() {
        return currentTau;
    }

    @Override
    public PreparedBatch prepare(Classifier model, Batch batch) {
        NDManager manager = batch.x().getManager();
        int n = batch.size();
        int[] labels = batch.y().toType(DataType.INT32, false).toIntArray();
        int[] budget = new int[n];
        Arrays.fill(budget, currentTau);
        boolean[] frozen = new boolean[n];
        NDArray adversarial = SignSteps.uniformStart(batch.x(), epsilon, model.bounds());
        for (int step = 0; step < steps; step++) {
            long[] active = indices(frozen);
            if (active.length == 0) {
                break;
            }
            NDArray rows = manager.create(active);
            NDArray point = adversarial.get(rows);
            NDArray clean = batch.x().get(rows);
            LossGradient pass = model.lossGradient(point, batch.y().get(rows),
                    CrossEntropyLoss.get());
            gradientRows += active.length;
            long[] predicted = pass.logits().argMax(1).toLongArray();
            float[] moves = new float[active.length];
            for (int i = 0; i < active.length; i++) {
                int example = (int) active[i];
                boolean wrong = predicted[i] != labels[example];
                if (wrong && budget[example] == 0) {
                    frozen[example] = true;
                } else {
                    moves[i] = 1f;
                    if (wrong) {
                        budget[example]--;
                    }
                }
            }
            NDArray move = manager.create(moves).reshape(active.length, 1, 1, 1);
            NDArray stepped = point.add(pass.gradient().sign().mul(stepSize)
                    .add(manager.randomNormal(0f, noise, point.getShape(), DataType.FLOAT32))
                    .mul(move));
            adversarial.set(new NDIndex("{}", rows), Norm.LINF.project(stepped, clean, epsilon,
                    model.bounds()));
        }
        examples += n;
        return PreparedBatch.withAdversarial(batch, adversarial);
    }

    @Override
    public StepLoss loss(TrainingNetwork network, PreparedBatch prepared) {
        return Mixed.loss(network, prepared, 0f);
    }

    @Override
    public Map<String, Double> epochStatistics() {
        Map<String, Double> statistics = new LinkedHashMap<>();
        statistics.put("fat_tau", (double) currentTau);
        statistics.put("fat_gradients_per_example",
                examples == 0 ? 0.0 : (double) gradientRows / examples);
        return statistics;
    }

    private static long[] indices(boolean[] frozen) {
        return java.util.stream.IntStream.range(0, frozen.length).filter(i -> !frozen[i])
                .asLongStream().toArray();
    }
}
