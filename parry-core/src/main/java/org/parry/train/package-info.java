/**
 * Training: the {@link org.parry.train.Trainer} loop with checkpoints and exact resume, its
 * optimizers and schedules, and the {@link org.parry.train.TrainingObjective} seam through which
 * adversarial training and other defenses change what a step minimizes.
 */
package org.parry.train;
