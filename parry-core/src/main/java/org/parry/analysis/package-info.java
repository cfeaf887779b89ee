/**
 * Robustness analyses a user can run on any model, each a small immutable configuration with a
 * {@code run} that returns an immutable result (a JSON-able {@code toJson()}, a text table and a
 * chart):
 * <ul>
 *   <li>{@link org.parry.analysis.ChannelAnalysis}: how adversarial examples move a layer's
 *       channels, split by their relevance to the true class (CIFS's observation, Yan et al.,
 *       ICML 2021), for robust and non-robust classes; Parry models only, whose layers {@link
 *       org.parry.model.Layers} reads;
 *   <li>{@link org.parry.analysis.ClassPairAnalysis}: per-class robustness and the class pairs
 *       an untargeted attack sends samples across (SPAT's "virtual targets", Hou et al., AAAI
 *       2023);
 *   <li>{@link org.parry.analysis.NoiseAnalysis}: accuracy under random Gaussian noise of
 *       growing σ next to accuracy under an attack of growing ε (TisODE's comparison, Yan et
 *       al., ICLR 2020).
 * </ul>
 * Attacks run through {@link org.parry.eval.DataSetAttack}, untargeted; results hold Java values,
 * never NDArrays. Not thread-safe (PyTorch's one gradient collector).
 */
package org.parry.analysis;
