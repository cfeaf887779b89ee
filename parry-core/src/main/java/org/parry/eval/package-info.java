/** Evaluation of classifiers: clean accuracy and confusion matrices, the base of robustness reports. */
package org.parry.eval;
