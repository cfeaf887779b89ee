package org.parry.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.parry.attack.AttackResult;
import org.parry.attack.Fgsm;
import org.parry.attack.Pgd;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.model.BlockClassifier;
import org.parry.norm.Norm;

/**
 * The catastrophic-overfitting detector of Wong, Rice and Kolter ("Fast is better than free:
 * revisiting adversarial training", ICLR 2020, §5.1): after every epoch, measure clean, FGSM and
 * PGD accuracy on a fixed held-out mini-batch. Single-step adversarial training can suddenly learn
 * to mask its gradients: FGSM accuracy climbs (often above clean accuracy) while PGD accuracy
 * collapses towards zero within an epoch. The monitor says the run collapsed when PGD accuracy,
 * compared with the best epoch so far:
 * <ul>
 *   <li>falls by more than {@code drop} (Wong et al.'s rule, with {@code drop} = 0.2);
 *   <li>or falls by more than {@code drop} / 2 to less than half the best. This is Parry's
 *       addition: at the robust accuracies of a large ε (0.2 on Fashion-MNIST, best 0.21), a
 *       fall of 0.2 is more than there is to lose. FGSM-RS with a grid-masked start fell from
 *       0.21 to 0.06 there, and the absolute rule missed it;
 *   <li>or is below the best while FGSM accuracy exceeds clean accuracy (the masking signature).
 * </ul>
 * The trainer then stops and restores the best epoch's weights, as the paper's early stopping
 * does.
 *
 * @param heldOut images the training never sees (Wong et al. use one training mini-batch; Parry
 *     holds it out so the numbers are not inflated by memorization)
 * @param epsilon the L∞ radius of both attacks
 * @param pgdSteps PGD steps (step size ε/4, random start)
 * @param drop the fall in PGD accuracy below the best that counts as a collapse, in (0, 1]; half of
 *     it counts when it leaves less than half the best
 */
public record RobustnessMonitor(ImageDataset heldOut, float epsilon, int pgdSteps, double drop) {

    /** Statistic names in {@link EpochMetrics#statistics()}. */
    public static final String CLEAN = "monitor_clean_accuracy";
    public static final String FGSM = "monitor_fgsm_accuracy";
    public static final String PGD = "monitor_pgd_accuracy";
    public static final String COLLAPSED = "monitor_collapsed";
    public static final String RESTORED_EPOCH = "restored_epoch";

    private static final long SEED = 0x5eedL;

    public RobustnessMonitor {
        Objects.requireNonNull(heldOut, "heldOut");
        if (heldOut.size() == 0) {
            throw new IllegalArgumentException("the monitor's held-out batch is empty");
        }
        if (!(epsilon > 0f && epsilon <= 1f)) {
            throw new IllegalArgumentException("monitor epsilon must be in (0, 1], got " + epsilon);
        }
        if (pgdSteps < 1) {
            throw new IllegalArgumentException("monitor PGD steps must be >= 1, got " + pgdSteps);
        }
        if (!(drop > 0 && drop <= 1)) {
            throw new IllegalArgumentException("monitor drop must be in (0, 1], got " + drop);
        }
    }

    /**
     * A monitor on the last {@code size} images of {@code train}, with PGD-10; train on
     * {@code train.first(train.size() - size)} so that it never sees them.
     */
    public static RobustnessMonitor onLastImages(ImageDataset train, int size, float epsilon,
            double drop) {
        if (size < 1 || size >= train.size()) {
            throw new IllegalArgumentException("the monitor's held-out size must be in 1.."
                    + (train.size() - 1) + " (it is held out of the " + train.size()
                    + " training images), got " + size);
        }
        int[] last = java.util.stream.IntStream.range(train.size() - size, train.size()).toArray();
        return new RobustnessMonitor(train.select(last), epsilon, 10, drop);
    }

    /** Clean, FGSM and PGD accuracy of {@code model} on the held-out batch, by statistic name. */
    public Map<String, Double> measure(BlockClassifier model) {
        try (NDManager scope = model.manager().newSubManager()) {
            Batch batch = heldOut.batch(scope, 0, heldOut.size());
            Misclassification criterion = new Misclassification(batch.y());
            NDArray cleanLogits = model.logits(batch.x());
            double clean = 1.0 - criterion.isAdversarial(cleanLogits).toType(
                    ai.djl.ndarray.types.DataType.FLOAT32, false).mean().getFloat();
            AttackResult fgsm = Fgsm.of(epsilon).run(model, batch.x(), criterion);
            AttackResult pgd = Pgd.builder(Norm.LINF, epsilon).optSteps(pgdSteps)
                    .optStepSize(epsilon / 4).optSeed(SEED).build()
                    .run(model, batch.x(), criterion);
            Map<String, Double> reading = new LinkedHashMap<>();
            reading.put(CLEAN, clean);
            reading.put(FGSM, robustAccuracy(fgsm));
            reading.put(PGD, robustAccuracy(pgd));
            return reading;
        }
    }

    /**
     * Whether {@code reading} shows a collapse, given the best PGD accuracy of earlier epochs
     * (NaN before the first).
     */
    public boolean collapsed(Map<String, Double> reading, double bestPgd) {
        double pgd = reading.get(PGD);
        if (Double.isNaN(bestPgd) || pgd >= bestPgd) {
            return false;
        }
        double fall = bestPgd - pgd;
        return fall > drop
                || (fall > drop / 2 && pgd < bestPgd / 2)
                || reading.get(FGSM) > reading.get(CLEAN);
    }

    private static double robustAccuracy(AttackResult result) {
        return 1.0 - (double) result.successes() / result.size();
    }
}
