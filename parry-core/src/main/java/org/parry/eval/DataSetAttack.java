package org.parry.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.Objects;
import java.util.Random;
import org.parry.attack.Attack;
import org.parry.attack.AttackResult;
import org.parry.attack.Require;
import org.parry.criterion.Criterion;
import org.parry.criterion.Misclassification;
import org.parry.criterion.TargetedMisclassification;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.model.Classifier;
import org.parry.model.InputCheck;

/**
 * One attack on a whole data set, batch by batch (what {@code parry attack} runs): the clean
 * predictions, each sample's target for a targeted attack, the attack, and the confidence at the
 * adversarial point, gathered in an {@link AttackTally}; {@link org.parry.report.AttackFiles}
 * writes it as files. Not thread-safe (attacks use PyTorch's one gradient collector).
 *
 * @param attack the attack
 * @param targets how a targeted attack picks each sample's target; null for an untargeted attack
 * @param batchSize images per attack call
 * @param seed seeds the {@link TargetMode#RANDOM random} targets
 * @param keepImages keep the clean and adversarial pixels (for the adversarial examples' file and
 *     the gallery)
 */
public record DataSetAttack(Attack attack, TargetMode targets, int batchSize, long seed,
        boolean keepImages) {

    /** Hears about each finished batch, e.g. to draw a progress bar. */
    @FunctionalInterface
    public interface Listener {

        Listener NONE = (done, successRate) -> {};

        /** {@code done} samples attacked so far, with the success rate over them (NaN for none). */
        void onBatch(int done, double successRate);
    }

    public DataSetAttack {
        Objects.requireNonNull(attack, "attack");
        Require.atLeast("batch size", batchSize, 1);
    }

    /** Attacks every sample of {@code data}, in order. */
    public AttackTally run(Classifier model, ImageDataset data, Listener listener) {
        InputCheck.requireCompatible(model, data);
        AttackTally tally = new AttackTally(this, data, targets == null ? null : targets(data));
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int b = 0; b < data.numBatches(batchSize); b++) {
                try (NDManager scope = manager.newSubManager()) {
                    Batch batch = data.batchNumber(scope, b, batchSize);
                    int from = b * batchSize;
                    NDArray cleanLogits = model.logits(batch.x());
                    int[] cleanPrediction = cleanLogits.argMax(1).toType(DataType.INT32, false)
                            .toIntArray();
                    AttackResult result = attack.run(model, batch.x(),
                            criterion(tally, batch, from, cleanLogits));
                    float[] confidence = model.logits(result.adversarial(scope)).softmax(1)
                            .max(new int[] {1}).toFloatArray();
                    tally.add(from, result, cleanPrediction, confidence,
                            keepImages ? batch.x().toFloatArray() : null);
                    listener.onBatch(tally.size(), tally.successRate());
                }
            }
        }
        return tally;
    }

    /** The random or next-class targets of every sample; least-likely ones come per batch. */
    private int[] targets(ImageDataset data) {
        int n = data.size();
        int classes = data.numClasses();
        int[] labels = data.labels();
        int[] chosen = new int[n];
        if (targets == TargetMode.RANDOM) {
            Random random = new Random(seed);
            for (int i = 0; i < n; i++) {
                chosen[i] = (labels[i] + 1 + random.nextInt(classes - 1)) % classes;
            }
        } else if (targets == TargetMode.NEXT) {
            for (int i = 0; i < n; i++) {
                chosen[i] = (labels[i] + 1) % classes;
            }
        }
        return chosen;
    }

    /** Misclassification, or the batch's targets (least-likely ones from the clean logits). */
    private Criterion criterion(AttackTally tally, Batch batch, int from, NDArray cleanLogits) {
        if (targets == null) {
            return new Misclassification(batch.y());
        }
        int size = batch.size();
        if (targets == TargetMode.LEAST_LIKELY) {
            int[] leastLikely = cleanLogits.argMin(1).toType(DataType.INT32, false).toIntArray();
            System.arraycopy(leastLikely, 0, tally.targets(), from, size);
        }
        return new TargetedMisclassification(batch.x().getManager().create(
                Arrays.copyOfRange(tally.targets(), from, from + size)), batch.y());
    }
}
