package org.parry.eval;

/**
 * Hypocritical risk (Tao et al., AAAI 2022): how many of a model's mistakes a false friend can
 * hide. Over n samples with clean predictions and predictions after the hypocritical
 * perturbation:
 * <ul>
 *   <li>{@code risk} = fixed / misclassified: the fraction of clean mistakes the perturbation
 *       turns correct (the paper's normalized R_hyp = (Acc(hyp) - Acc(clean)) / (1 - Acc(clean))
 *       when no correct sample flips);
 *   <li>{@code unnormalizedRisk} = fixed / n, the population quantity
 *       E[1{f(x) ≠ y} · max_{x'} 1{f(x') = y}];
 *   <li>{@code hypocriticalAccuracy} = Acc(hyp) over all n;
 *   <li>{@code flips}: correct samples the perturbation made wrong (should be ~0; a sanity count).
 * </ul>
 *
 * @param n samples
 * @param misclassified clean mistakes
 * @param fixed clean mistakes made correct
 * @param flips clean-correct samples made wrong
 * @param cleanAccuracy Acc(clean)
 * @param hypocriticalAccuracy Acc(hyp)
 */
public record HypocriticalRisk(int n, int misclassified, int fixed, int flips, double cleanAccuracy,
        double hypocriticalAccuracy) {

    /** Counts from per-sample labels and predictions. */
    public static HypocriticalRisk of(int[] labels, int[] cleanPredictions, int[] hypocriticalPredictions) {
        if (labels.length != cleanPredictions.length || labels.length != hypocriticalPredictions.length) {
            throw new IllegalArgumentException("labels and predictions must have the same length");
        }
        int misclassified = 0;
        int fixed = 0;
        int flips = 0;
        int cleanCorrect = 0;
        int hypocriticalCorrect = 0;
        for (int i = 0; i < labels.length; i++) {
            boolean wasRight = cleanPredictions[i] == labels[i];
            boolean isRight = hypocriticalPredictions[i] == labels[i];
            cleanCorrect += wasRight ? 1 : 0;
            hypocriticalCorrect += isRight ? 1 : 0;
            misclassified += wasRight ? 0 : 1;
            fixed += !wasRight && isRight ? 1 : 0;
            flips += wasRight && !isRight ? 1 : 0;
        }
        int n = labels.length;
        return new HypocriticalRisk(n, misclassified, fixed, flips, (double) cleanCorrect / n,
                (double) hypocriticalCorrect / n);
    }

    /** fixed / misclassified (0 when the model makes no mistake). */
    public double risk() {
        return misclassified == 0 ? 0 : (double) fixed / misclassified;
    }

    /** fixed / n. */
    public double unnormalizedRisk() {
        return n == 0 ? 0 : (double) fixed / n;
    }
}
