/**
 * Stages that put something in front of a classifier ({@link org.parry.model.Stage}, composed by
 * {@link org.parry.model.Pipeline}): input transforms used as defenses (bit-depth reduction,
 * median smoothing, JPEG compression, random resize-and-pad, Gaussian noise) and purifiers:
 * MagNet's denoising autoencoders, reformer and detectors ({@link
 * org.parry.defense.purify.MagNet}). Each file cites its paper, gives its equations and says what
 * gradient it offers an attack.
 */
package org.parry.defense.purify;
