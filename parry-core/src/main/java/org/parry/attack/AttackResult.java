package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.parry.criterion.Criterion;
import org.parry.model.InputCheck;
import org.parry.norm.Norm;

/**
 * What an attack returns: the adversarial batch, per-sample success judged on that very batch,
 * per-sample L0 (changed pixels: all channels at one location), L2 and L∞ distances to the clean
 * input, the predictions there, and the cost. Built only by {@link #bounded} and {@link
 * #unbounded}, which make every result feasible, so no attack can return a point outside the box
 * or the ball. Like every report in Parry it holds Java values, never NDArrays, so it outlives the
 * attack's NDManagers; {@link #adversarial(NDManager)} makes an NDArray of it when one is needed.
 *
 * @param adversarial the adversarial batch, flattened [N, C, H, W] in the model's {@link
 *     org.parry.model.Bounds}
 * @param shape the batch's shape, [N, C, H, W]
 * @param success per sample, whether the criterion holds at {@code adversarial}
 * @param predictions per sample, the predicted class at {@code adversarial}
 * @param l0 changed pixels
 * @param l2 Euclidean distance
 * @param linf max-norm distance
 * @param gradients images passed through forward and backward
 * @param queries images passed through forward only
 * @param seconds wall time
 * @param sampleQueries for query attacks (score-based black-box searches), per sample the queries
 *     its search spent, up to and including the one that found its adversarial point (the final
 *     judgement not counted); null for attacks that do not count per sample
 */
public record AttackResult(float[] adversarial, Shape shape, boolean[] success, int[] predictions, float[] l0,
        float[] l2, float[] linf, long gradients, long queries, double seconds, int[] sampleQueries) {

    public AttackResult {
        if (sampleQueries != null && sampleQueries.length != success.length) {
            throw new IllegalArgumentException("one query count per sample: " + sampleQueries.length
                    + " counts for " + success.length + " samples");
        }
    }

    /** This result with the per-sample query counts of a query attack. */
    public AttackResult withSampleQueries(int[] counts) {
        return new AttackResult(adversarial, shape, success, predictions, l0, l2, linf, gradients,
                queries, seconds, counts.clone());
    }

    /** The adversarial batch as an NDArray [N, C, H, W] in {@code manager}. */
    public NDArray adversarial(NDManager manager) {
        return manager.create(adversarial, shape);
    }

    /** Number of samples. */
    public int size() {
        return success.length;
    }

    /** Number of samples where the attack succeeded. */
    public int successes() {
        int count = 0;
        for (boolean s : success) {
            count += s ? 1 : 0;
        }
        return count;
    }

    /**
     * Finishes a bounded attack: projects {@code adversarial} onto the ε-ball of {@code norm}
     * around {@code x} and the model's box, then judges it.
     *
     * @param startNanos {@link System#nanoTime()} when the attack started
     */
    public static AttackResult bounded(CountingClassifier model, NDArray x, NDArray adversarial,
            Criterion criterion, Norm norm, float epsilon, long startNanos) {
        return judge(model, x, norm.project(adversarial, x, epsilon, model.bounds()), criterion,
                startNanos);
    }

    /** Finishes a minimum-norm attack (C&W, DeepFool): clips to the model's box, then judges. */
    public static AttackResult unbounded(CountingClassifier model, NDArray x, NDArray adversarial,
            Criterion criterion, long startNanos) {
        return judge(model, x, model.bounds().clip(adversarial), criterion, startNanos);
    }

    private static AttackResult judge(CountingClassifier model, NDArray x, NDArray feasible,
            Criterion criterion, long startNanos) {
        try (NDManager scope = x.getManager().newSubManager()) {
            NDList inputs = new NDList(x, feasible);
            inputs.addAll(criterion.arrays());
            scope.tempAttachAll(Batches.distinct(inputs));
            NDArray logits = model.logits(feasible);
            boolean[] success = criterion.isAdversarial(logits).toBooleanArray();
            int[] predictions = logits.argMax(1).toType(DataType.INT32, false).toIntArray();
            NDArray delta = feasible.sub(x);
            NDArray changedPixels = delta.abs().max(new int[] {1}).gt(0f)
                    .toType(DataType.FLOAT32, false).reshape(delta.getShape().get(0), -1)
                    .sum(new int[] {1});
            float[] l0 = changedPixels.toFloatArray();
            float[] l2 = Norm.L2.of(delta).toFloatArray();
            float[] linf = Norm.LINF.of(delta).toFloatArray();
            return new AttackResult(feasible.toFloatArray(), feasible.getShape(), success, predictions, l0, l2, linf,
                    model.gradients(), model.queries(), (System.nanoTime() - startNanos) / 1e9, null);
        }
    }

    /** Checks an attack's inputs: batch shape and labels; names what is wrong. */
    public static void requireInputs(org.parry.model.Classifier model, NDArray x, Criterion criterion) {
        InputCheck.requireBatch(model, x);
        InputCheck.requireLabels(model, x, criterion.labels());
    }
}
