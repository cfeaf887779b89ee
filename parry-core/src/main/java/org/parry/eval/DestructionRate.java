package org.parry.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.parry.attack.Require;
import org.parry.defense.StageRegistry;
import org.parry.model.Classifier;
import org.parry.model.InputCheck;
import org.parry.model.Stage;

/**
 * The destruction rate of a transformation T (Kurakin, Goodfellow and Bengio, "Adversarial
 * examples in the physical world", ICLR workshop 2017, section 4.1): the fraction of successful
 * adversarial examples of clean-correct images that T turns back into correct predictions,
 * <pre>
 *   d = Σ_k C(x_k, y_k) · (1 - C(x_adv_k, y_k)) · C(T(x_adv_k), y_k)
 *       / Σ_k C(x_k, y_k) · (1 - C(x_adv_k, y_k))
 * </pre>
 * with C(x, y) = 1 when y is the top-1 class of x (top-5: among the five largest logits), T
 * applied to the adversarial image only. Both versions keep their counts, so a reader sees how
 * many examples a rate stands on (with five classes or fewer the top-5 denominator is 0 and the
 * rate NaN). Beside them, the accuracy on T(x): what T does to clean images by itself (a T that
 * destroys the model's accuracy "destroys" adversarial examples for nothing). C is read from a
 * label's rank, the number of logits above the label's, so ties count for the label. A random T
 * (noise, a random {@link org.parry.physical.Photo}) draws from a seeded stream: the rate is the
 * expectation over its draws, one per image.
 *
 * @param transform T's name
 * @param settings T's settings
 * @param n samples
 * @param cleanCorrect Σ C(x_k, y_k), top-1
 * @param adversarial the top-1 denominator, Σ C(x_k, y_k) · (1 - C(x_adv_k, y_k))
 * @param destroyed the top-1 numerator
 * @param adversarialTop5 the top-5 denominator
 * @param destroyedTop5 the top-5 numerator
 * @param transformedCleanCorrect Σ C(T(x_k), y_k), top-1
 * @param transformedCleanTop5 Σ C(T(x_k), y_k), top-5
 */
public record DestructionRate(String transform, Map<String, Object> settings, int n,
        int cleanCorrect, int adversarial, int destroyed, int adversarialTop5, int destroyedTop5,
        int transformedCleanCorrect, int transformedCleanTop5) {

    /** The k of the top-k version. */
    public static final int TOP = 5;

    /**
     * The transformations of the paper's table as specs of {@link StageRegistry}: brightness ±,
     * contrast ±, blur σ = 1 and 2, Gaussian noise, JPEG at quality 75 and 10 (the magnitudes as
     * remembered from the paper, in [0, 1] pixel units: ±30 and 10 of 255 grey levels), and the
     * photo emulation's affine warp and colour shift.
     */
    public static final List<String> PAPER_TRANSFORMS = List.of("brightness:delta=0.12",
            "brightness:delta=-0.12", "contrast:factor=1.3", "contrast:factor=0.7",
            "blur:sigma=1", "blur:sigma=2", "noise:sigma=0.04", "jpeg:quality=75",
            "jpeg:quality=10", "affine:rotation=5,scale=1.05,shift=0.02",
            "colour:gain=0.9..1.1,offset=-0.05..0.05");

    public DestructionRate {
        Objects.requireNonNull(transform, "transform");
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    }

    /** d, top-1: destroyed / adversarial; NaN without successful adversarial examples. */
    public double rate() {
        return ratio(destroyed, adversarial);
    }

    /** d, top-5. */
    public double rateTop5() {
        return ratio(destroyedTop5, adversarialTop5);
    }

    public double cleanAccuracy() {
        return ratio(cleanCorrect, n);
    }

    /** Top-1 accuracy on T(x): what T does to clean images by itself. */
    public double transformedCleanAccuracy() {
        return ratio(transformedCleanCorrect, n);
    }

    public double transformedCleanTop5Accuracy() {
        return ratio(transformedCleanTop5, n);
    }

    /** The counts of both, as if measured on one batch (the transform is this one's). */
    public DestructionRate plus(DestructionRate other) {
        return new DestructionRate(transform, settings, n + other.n,
                cleanCorrect + other.cleanCorrect, adversarial + other.adversarial,
                destroyed + other.destroyed, adversarialTop5 + other.adversarialTop5,
                destroyedTop5 + other.destroyedTop5,
                transformedCleanCorrect + other.transformedCleanCorrect,
                transformedCleanTop5 + other.transformedCleanTop5);
    }

    /**
     * The destruction rate of {@code transform} on one batch.
     *
     * @param model the classifier C judges with
     * @param x clean images [N, C, H, W]
     * @param labels [N] class indices
     * @param adversarialImages x_adv, the same shape as x
     * @param random the transform's randomness, if it has any
     */
    public static DestructionRate measure(Classifier model, NDArray x, NDArray labels,
            NDArray adversarialImages, Stage transform, SplittableRandom random) {
        InputCheck.requireBatch(model, x);
        InputCheck.requireLabels(model, x, labels);
        if (!adversarialImages.getShape().equals(x.getShape())) {
            throw new IllegalArgumentException("the adversarial images have shape "
                    + adversarialImages.getShape() + " but the clean ones " + x.getShape()
                    + "; give one adversarial image per clean image");
        }
        try (NDManager scope = x.getManager().newSubManager()) {
            scope.tempAttachAll(x, labels, adversarialImages);
            int[] clean = ranks(model, x, labels);
            int[] adv = ranks(model, adversarialImages, labels);
            int[] transformedAdv = ranks(model,
                    transform.apply(adversarialImages, model.bounds(), random.split()), labels);
            int[] transformedClean = ranks(model,
                    transform.apply(x, model.bounds(), random.split()), labels);
            int correct = 0;
            int fooled = 0;
            int destroyed = 0;
            int fooledTop5 = 0;
            int destroyedTop5 = 0;
            int transformedCorrect = 0;
            int transformedTop5 = 0;
            for (int k = 0; k < clean.length; k++) {
                correct += clean[k] < 1 ? 1 : 0;
                if (clean[k] < 1 && adv[k] >= 1) {
                    fooled++;
                    destroyed += transformedAdv[k] < 1 ? 1 : 0;
                }
                if (clean[k] < TOP && adv[k] >= TOP) {
                    fooledTop5++;
                    destroyedTop5 += transformedAdv[k] < TOP ? 1 : 0;
                }
                transformedCorrect += transformedClean[k] < 1 ? 1 : 0;
                transformedTop5 += transformedClean[k] < TOP ? 1 : 0;
            }
            return new DestructionRate(transform.name(), transform.settings(), clean.length,
                    correct, fooled, destroyed, fooledTop5, destroyedTop5, transformedCorrect,
                    transformedTop5);
        }
    }

    /**
     * The destruction rate of {@code transform} over every sample of a tally, batch by batch.
     *
     * @param tally an attack's outcome that kept its images ({@link DataSetAttack#keepImages()})
     * @param seed seeds a random transform's draws
     */
    public static DestructionRate measure(Classifier model, AttackTally tally, Stage transform,
            int batchSize, long seed) {
        Require.atLeast("batch size", batchSize, 1);
        if (tally.adversarial() == null) {
            throw new IllegalStateException("the tally kept no images; run the DataSetAttack with"
                    + " keepImages to measure destruction rates");
        }
        Shape image = tally.data().imageShape();
        int size = Math.toIntExact(image.size());
        SplittableRandom random = new SplittableRandom(seed);
        DestructionRate total = null;
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int from = 0; from < tally.size(); from += batchSize) {
                int to = Math.min(tally.size(), from + batchSize);
                try (NDManager scope = manager.newSubManager()) {
                    Shape shape = new Shape(to - from).addAll(image);
                    NDArray x = scope.create(Arrays.copyOfRange(tally.clean(), from * size,
                            to * size), shape);
                    NDArray adv = scope.create(Arrays.copyOfRange(tally.adversarial(),
                            from * size, to * size), shape);
                    NDArray labels = scope.create(Arrays.copyOfRange(tally.labels(), from, to));
                    DestructionRate batch = measure(model, x, labels, adv, transform, random);
                    total = total == null ? batch : total.plus(batch);
                }
            }
        }
        return total != null ? total : new DestructionRate(transform.name(),
                transform.settings(), 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /**
     * The destruction rate of each transform, in order, e.g. of the stages {@link
     * StageRegistry#transform} makes of {@link #PAPER_TRANSFORMS}.
     */
    public static List<DestructionRate> table(Classifier model, AttackTally tally,
            List<Stage> transforms, int batchSize, long seed) {
        List<DestructionRate> rates = new ArrayList<>();
        for (Stage transform : transforms) {
            rates.add(measure(model, tally, transform, batchSize, seed));
        }
        return rates;
    }

    /** Per sample, how many logits lie above the label's: y is in the top k when rank < k. */
    private static int[] ranks(Classifier model, NDArray x, NDArray labels) {
        NDArray logits = model.logits(x);
        NDArray own = logits.gather(labels.toType(DataType.INT64, false).reshape(-1, 1), 1);
        return logits.gt(own).toType(DataType.INT32, false).sum(new int[] {1})
                .toType(DataType.INT32, false).toIntArray();
    }

    private static double ratio(int count, int total) {
        return total == 0 ? Double.NaN : (double) count / total;
    }
}
