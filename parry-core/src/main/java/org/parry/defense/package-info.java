/**
 * Defenses that change training: adversarial training and its variants (Goodfellow's mixed FGSM,
 * Madry's PGD, Wong's FGSM with random start and the bag of tricks against catastrophic
 * overfitting, friendly adversarial training, TRADES, ensemble adversarial training) and
 * defensive distillation, each a {@link org.parry.train.TrainingObjective} that
 * {@link org.parry.defense.DefenseRegistry} creates by name.
 *
 * <p>Every attack crafted during training runs on the model in evaluation mode, in its own
 * gradient collector, with the parameters frozen (the trainer's {@code prepare} phase), and uses
 * PyTorch's generator for its randomness so that resumed runs repeat uninterrupted ones.
 */
package org.parry.defense;
