/**
 * Evasion attacks: the {@link org.parry.attack.Attack} interface, {@link
 * org.parry.attack.AttackResult} (feasible by construction), the registry of attacks by name, and
 * the white-box attacks themselves, one file per method.
 */
package org.parry.attack;
