package org.parry.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import org.parry.attack.AttackResult;
import org.parry.attack.Fgsm;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.data.SyntheticDataset;
import org.parry.model.BlockClassifier;
import org.parry.testing.TestModels;

/**
 * The tiny detection task the detector tests share: the synthetic CNN of {@link TestModels}, clean
 * images to fit on, held-out clean images, and FGSM examples of both at a large ε, stored as 8-bit
 * images as the evaluation stores them.
 */
final class TinyDetectionTask {

    /** FGSM's radius: large, so that every detector of the survey should see the examples. */
    static final float EPSILON = 0.3f;

    private static ImageDataset fitting;
    private static ImageDataset fittingAdversarial;
    private static ImageDataset testAdversarial;

    private TinyDetectionTask() {}

    static BlockClassifier model() {
        return TestModels.syntheticCnn();
    }

    /** 300 clean images to fit on (not the model's training images, not the test images). */
    static synchronized ImageDataset fitting() {
        if (fitting == null) {
            fitting = SyntheticDataset.generate(300, 10, 1, 28, 28, 31);
        }
        return fitting;
    }

    /** FGSM examples of the first 150 fitting images. */
    static synchronized ImageDataset fittingAdversarial() {
        if (fittingAdversarial == null) {
            fittingAdversarial = fgsm(fitting().first(150));
        }
        return fittingAdversarial;
    }

    /** 200 held-out clean images. */
    static ImageDataset test() {
        return TestModels.syntheticTest();
    }

    /** FGSM examples of the held-out images. */
    static synchronized ImageDataset testAdversarial() {
        if (testAdversarial == null) {
            testAdversarial = fgsm(test());
        }
        return testAdversarial;
    }

    /** An unsupervised fit on the fitting images. */
    static FitData cleanFit(long seed) {
        return FitData.clean(model(), fitting(), seed);
    }

    /** A supervised fit: the fitting images and FGSM examples of their first half. */
    static FitData supervisedFit(long seed) {
        return new FitData(model(), fitting(), Map.of("fgsm", fittingAdversarial()), seed);
    }

    /** The detector's ROC on the held-out clean images against their FGSM examples. */
    static Roc roc(Detector detector) {
        return new Roc(CalibratedDetector.scores(detector, test(), 64),
                CalibratedDetector.scores(detector, testAdversarial(), 64));
    }

    private static ImageDataset fgsm(ImageDataset clean) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = clean.batch(manager, 0, clean.size());
            AttackResult result = Fgsm.of(EPSILON).run(model(), batch.x(),
                    new Misclassification(batch.y()));
            return images(clean, result.adversarial(manager));
        }
    }

    /** {@code x} as 8-bit images with {@code like}'s labels and classes. */
    static ImageDataset images(ImageDataset like, NDArray x) {
        float[] values = x.toFloatArray();
        byte[] pixels = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            pixels[i] = (byte) Math.round(Math.max(0f, Math.min(1f, values[i])) * 255f);
        }
        return new ImageDataset(like.name() + "-adversarial", like.channels(), like.height(),
                like.width(), pixels, like.labels(), like.classNames());
    }
}
