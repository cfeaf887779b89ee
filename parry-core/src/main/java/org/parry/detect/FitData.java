package org.parry.detect;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.parry.attack.Attack;
import org.parry.data.ImageDataset;
import org.parry.model.Classifier;

/**
 * What a detector is fitted on (Aldahdooh et al. 2022, the survey's protocol).
 *
 * @param model the classifier the detector guards; the caller owns it
 * @param clean clean images the classifier was trained on or validated with (never the test set);
 *     unsupervised detectors fit on these alone
 * @param adversarial adversarial examples by attack name, each of the first images of {@code
 *     clean} in the same order with the same labels; supervised detectors (KD+BU, LID, NSS) learn
 *     to separate them from {@code clean} (and noisy copies of it), and name the attacks in their
 *     settings; empty for an unsupervised fit
 * @param seed the detector's own randomness (subsampling, noise, dropout draws)
 */
public record FitData(Classifier model, ImageDataset clean, Map<String, ImageDataset> adversarial,
        long seed) {

    public FitData {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(clean, "clean");
        adversarial = Collections.unmodifiableMap(
                new LinkedHashMap<>(adversarial));
        for (Map.Entry<String, ImageDataset> set : adversarial.entrySet()) {
            if (set.getValue().size() > clean.size()
                    || !set.getValue().imageShape().equals(clean.imageShape())) {
                throw new IllegalArgumentException("the adversarial examples of '" + set.getKey()
                        + "' (" + set.getValue().size() + " of shape "
                        + set.getValue().imageShape() + ") do not pair with the "
                        + clean.size() + " clean images of shape " + clean.imageShape());
            }
        }
    }

    /** An unsupervised fit: clean images only. */
    public static FitData clean(Classifier model, ImageDataset clean, long seed) {
        return new FitData(model, clean, Map.of(), seed);
    }

    /**
     * A supervised fit: the adversarial examples of each attack are crafted on {@code model} from
     * the first {@code attacked} clean images (all of them, whether or not they fool it).
     */
    public static FitData withAttacks(Classifier model, ImageDataset clean,
            List<Attack> attacks, int attacked, int batchSize,
            long seed) {
        ImageDataset first = clean.first(Math.min(attacked, clean.size()));
        Map<String, ImageDataset> adversarial = new LinkedHashMap<>();
        for (Attack attack : attacks) {
            if (adversarial.containsKey(attack.name())) {
                throw new IllegalArgumentException("attack '" + attack.name() + "' given twice");
            }
            adversarial.put(attack.name(), AdversarialSet.craft(model, first, attack, batchSize)
                    .asDataset(first, first.name() + "-" + attack.name()));
        }
        return new FitData(model, clean, adversarial, seed);
    }

    /**
     * Checks that a supervised detector has adversarial examples to learn from.
     *
     * @throws IllegalArgumentException naming the fix when there are none
     */
    public void requireAdversarial(String detector) {
        if (adversarial.isEmpty()) {
            throw new IllegalArgumentException(detector + " is a supervised detector: fit it on"
                    + " adversarial examples too (parry detect fit --train-attack NAME, e.g."
                    + " --train-attack fgsm)");
        }
    }
}
