/**
 * Evaluation of classifiers: clean accuracy and confusion matrices; one attack over a whole data
 * set ({@link org.parry.eval.DataSetAttack}, its per-sample {@link org.parry.eval.AttackTally});
 * the robustness protocol ({@link org.parry.eval.Evaluator} over a {@link org.parry.eval.Suite} of
 * registry attacks or one's own), its sanity checks and provenance, the base of robustness reports.
 */
package org.parry.eval;
