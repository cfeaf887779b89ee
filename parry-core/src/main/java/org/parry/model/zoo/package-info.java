/** The architectures Parry builds and trains, by name: {@link org.parry.model.zoo.ModelZoo}. */
package org.parry.model.zoo;
