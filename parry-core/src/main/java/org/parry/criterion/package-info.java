/** What counts as a successful attack: misclassification, or a chosen target class. */
package org.parry.criterion;
