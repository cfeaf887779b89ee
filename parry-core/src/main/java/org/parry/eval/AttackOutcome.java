package org.parry.eval;

import java.util.Map;

/**
 * What one attack of a suite did at one ε.
 *
 * @param name the suite attack's name ({@link SuiteAttack#name()}), e.g. the registry name
 * @param settings every setting, defaults included
 * @param epsilon the budget
 * @param attacked samples it ran on (those still robust when its turn came)
 * @param broken samples it made adversarial (first found; never overwritten later)
 * @param robustAccuracy worst-case robust accuracy over all n samples after this attack
 * @param standardError binomial standard error of {@code robustAccuracy}
 * @param l2 L2 norms of the adversarial examples it found
 * @param linf L∞ norms of the adversarial examples it found
 * @param gradients images through forward and backward
 * @param queries images through forward only
 * @param seconds wall time
 */
public record AttackOutcome(String name, Map<String, Object> settings, float epsilon, int attacked,
        int broken, double robustAccuracy, double standardError, PerturbationStats l2,
        PerturbationStats linf, long gradients, long queries, double seconds) {}
