/**
 * Files Parry writes for other tools and for people: NumPy {@code .npz} archives of adversarial
 * examples ({@link org.parry.io.NpzWriter}) and PNG galleries of clean and adversarial images
 * with their perturbations ({@link org.parry.io.ImageGallery}).
 */
package org.parry.io;
