/**
 * The print-and-photograph channel as {@link org.parry.model.Stage}s (Kurakin, Goodfellow and
 * Bengio, "Adversarial examples in the physical world", ICLR workshop 2017): brightness and
 * contrast, Gaussian blur, a small affine warp, a printer's colour shift, and {@link
 * org.parry.physical.Photo}, a random chain of them; with Gaussian noise and JPEG, which {@link
 * org.parry.defense.purify} already has, they make the paper's artificial transformations.
 *
 * <p>Why a package of its own, neither {@code attack} nor {@code defense}: these stages model the
 * world between an adversarial image and the camera, and three parts of Parry use them for
 * different ends. {@link org.parry.eval.DestructionRate} measures how many adversarial examples
 * one transform turns back into correct predictions; an attack on a {@link
 * org.parry.model.Pipeline} of random ones with {@code eot(n)} is expectation over transformation
 * (Athalye, Engstrom, Ilyas and Kwok, ICML 2018), adversarial examples made to survive the photo;
 * and a user may put one in front of a model as a defense. They are named in {@link
 * org.parry.defense.StageRegistry} with the other stages (one registry, one spelling).
 *
 * <p>Every transform takes its parameters as {@link org.parry.physical.Range}s: a point is the
 * fixed transform of the paper's destruction table, an interval a random one that draws each
 * image's parameters anew at every pass (each printed image is photographed on its own). All are
 * differentiable, so an attack's gradient passes them by autograd.
 */
package org.parry.physical;
