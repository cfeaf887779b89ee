package org.parry.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Map;
import org.parry.attack.Fgsm;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.data.SyntheticDataset;
import org.parry.model.Classifier;

/**
 * The tiny detection task the detector tests share: synthetic 1x28x28 images of 10 classes, FGSM
 * at ε = 0.3 (large: the survey's top MNIST setting) on a small trained CNN; fit on 400 clean
 * images, 200 of them attacked; measured on 100 held-out images and their FGSM examples.
 */
final class DetectionFixture {

    static final float EPSILON = 0.3f;

    private DetectionFixture() {}

    /** The fitting data: 400 clean images, FGSM examples of the first 200. */
    static FitData fitData(Classifier model, long seed) {
        ImageDataset clean = SyntheticDataset.generate(400, 10, 1, 28, 28, 21);
        return new FitData(model, clean, Map.of("fgsm", fgsm(model, clean.first(200))), seed);
    }

    /** Held-out clean images. */
    static ImageDataset heldOut() {
        return SyntheticDataset.generate(100, 10, 1, 28, 28, 22);
    }

    /** FGSM (ε = 0.3) examples of {@code data}, in 8-bit pixels like every data set. */
    static ImageDataset fgsm(Classifier model, ImageDataset data) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = data.batch(manager, 0, data.size());
            NDArray adversarial = Fgsm.of(EPSILON).run(model, batch.x(),
                    new Misclassification(batch.y())).adversarial(manager);
            float[] pixels = adversarial.toFloatArray();
            byte[] bytes = new byte[pixels.length];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) Math.round(pixels[i] * 255f);
            }
            return new ImageDataset(data.name() + "-fgsm", data.channels(), data.height(),
                    data.width(), bytes, data.labels(), data.classNames());
        }
    }

    /** The ROC of {@code detector} on held-out clean images against their FGSM examples. */
    static Roc roc(Detector detector, Classifier model) {
        ImageDataset clean = heldOut();
        return new Roc(CalibratedDetector.scores(detector, clean, 50),
                CalibratedDetector.scores(detector, fgsm(model, clean), 50));
    }

    /** Saves {@code detector} and loads it back through the registry. */
    static Detector reloaded(Detector detector, Classifier model, Path dir) throws Exception {
        detector.save(dir);
        return DetectorRegistry.load(detector.name(), dir, model, detector.settings());
    }
}
