package org.parry.eval;

import java.util.List;

/**
 * The worst case over a suite at one ε.
 *
 * @param epsilon the budget
 * @param robustAccuracy fraction of all n samples that are clean-correct and survived every attack
 * @param standardError sqrt(p (1 - p) / n)
 * @param robust the number of such samples
 * @param attackSuccessRate broken / clean-correct (the denominator is {@code cleanCorrect} of the
 *     report)
 * @param attacks per attack, in suite order
 * @param perClassRobustAccuracy robust accuracy restricted to each true class
 * @param confusionUnderAttack counts[true][predicted at the worst-case point] over clean-correct
 *     samples: the class pairs attacks push toward
 */
public record EpsilonResult(float epsilon, double robustAccuracy, double standardError, int robust,
        double attackSuccessRate, List<AttackOutcome> attacks, double[] perClassRobustAccuracy,
        long[][] confusionUnderAttack) {}
