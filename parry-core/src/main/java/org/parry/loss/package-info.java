/** Losses on logits, one value per sample, that attacks ascend and training descends. */
package org.parry.loss;
