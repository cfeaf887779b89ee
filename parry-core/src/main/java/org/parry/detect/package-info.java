/**
 * Detectors of adversarial inputs (Aldahdooh et al., "Adversarial example detection for DNN
 * models: a review and experimental comparison", 2022): a {@link org.parry.detect.Detector}
 * scores inputs, {@link org.parry.detect.DetectorRegistry} fits one by name, {@link
 * org.parry.detect.CalibratedDetector} thresholds it at a false-positive rate and saves it like a
 * model, {@link org.parry.detect.Roc} measures it, and detector-aware attacks (Carlini and
 * Wagner, "Adversarial examples are not easily detected", AISec 2017) test it.
 */
package org.parry.detect;
