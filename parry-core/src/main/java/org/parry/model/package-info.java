/**
 * Classifiers as attacks and defenses see them: {@link org.parry.model.Classifier} (logits and the
 * input gradient of a per-sample loss, always in evaluation mode), Parry's own DJL models
 * ({@link org.parry.model.BlockClassifier}, saved with a {@link org.parry.model.ModelCard}),
 * TorchScript files (white-box), ONNX files ({@link org.parry.model.OnnxClassifier}, query-only),
 * a black-box wrapper, and the finite-difference {@link
 * org.parry.model.GradientCheck}.
 */
package org.parry.model;
