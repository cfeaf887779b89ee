package org.parry.detect;

/**
 * One detector against one attack, as the report shows it (Aldahdooh et al. 2022's metrics, and
 * Carlini and Wagner 2017's detector-aware attack). Positives are the adversarial examples of the
 * clean-correct test images; negatives the held-out clean images.
 *
 * @param detector the detector's name
 * @param attack the attack's name
 * @param mode {@code oblivious} (crafted on the classifier alone) or {@code adaptive} (crafted
 *     against classifier and detector together)
 * @param threshold θ, fitted at the target false-positive rate on clean validation images
 * @param cleanFpr the share of held-out clean test images above θ
 * @param auc ROC-AUC of successful adversarial examples against held-out clean images
 * @param tprAt5 TPR at 5% FPR on those (threshold refitted on the clean test scores)
 * @param tprAt1 TPR at 1% FPR on those
 * @param detectionRate the share of successful adversarial examples above θ (the survey's DR on
 *     SAEs)
 * @param detectionRateAll the share of all adversarial examples above θ
 * @param attacked adversarial examples (the clean-correct test images)
 * @param successful those that fool the classifier
 * @param guardedAccuracy the share of all test images that are correctly classified and not
 *     flagged when clean, and whose adversarial example is flagged or still correctly classified
 *     (Carlini and Wagner's robust accuracy under detection)
 * @param undefendedAccuracy the classifier's accuracy under the attack, without the detector
 * @param roc the ROC curve of successful examples against clean ones, thinned for a plot
 * @param scoreMillisPerImage the detector's scoring cost per image
 * @param gradients how the adaptive attack differentiated the detector: {@code exact}
 *     (autograd) or {@code bpda} (a stand-in for its non-differentiable steps); {@code none} for an
 *     oblivious attack, which does not
 */
public record DetectionResult(String detector, String attack, String mode, float threshold,
        double cleanFpr, double auc, double tprAt5, double tprAt1, double detectionRate,
        double detectionRateAll, int attacked, int successful, double guardedAccuracy,
        double undefendedAccuracy, Roc.Curve roc, double scoreMillisPerImage, String gradients) {

    /** The two modes of crafting. */
    public static final String OBLIVIOUS = "oblivious";

    /** Crafted against classifier and detector together. */
    public static final String ADAPTIVE = "adaptive";
}
