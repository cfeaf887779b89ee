package org.parry.attack;

/**
 * One round of {@link SubstituteTraining}: the set the substitute was trained on, the oracle
 * labels spent so far, and how well the substitute then matched the oracle on held-out images.
 *
 * @param round the round, from 0
 * @param lambda the signed step of the augmentation that made this round's set (0 for round 0)
 * @param setSize |S_ρ|, the distinct points trained on
 * @param queries oracle labels asked for so far (equals {@code setSize}: each point once)
 * @param agreement the fraction of held-out images on which substitute and oracle predict the
 *     same class
 * @param accuracy the substitute's accuracy on the held-out images' true labels
 */
public record SubstituteRound(int round, float lambda, int setSize, long queries,
        double agreement, double accuracy) {}
