/** Lp threat models: distances, projections onto ball ∩ box, step directions, random starts. */
package org.parry.norm;
