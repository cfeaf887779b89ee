package org.parry.detect;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.parry.attack.Attack;
import org.parry.attack.AttackResult;
import org.parry.criterion.Criterion;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.model.Classifier;

/**
 * Adversarial examples of a set of images, one per image in the same order, and whether each
 * fools the classifier: what a detector is fitted on (supervised detectors) and evaluated against.
 *
 * @param pixels N×C×H×W floats
 * @param fooled per image, whether the classifier's label differs from the true one
 */
public record AdversarialSet(float[] pixels, boolean[] fooled) {

    /**
     * Runs an untargeted {@code attack} on {@code model} over {@code images}, batch by batch.
     */
    public static AdversarialSet craft(Classifier model, ImageDataset images, Attack attack,
            int batchSize) {
        return craft(model, model, images, attack, batchSize);
    }

    /**
     * Runs {@code attack} on a classifier guarded by a detector, success meaning misclassified and
     * not flagged ({@link EvadingMisclassification}); "fooled" is judged on the classifier alone.
     */
    static AdversarialSet craft(DetectorAwareClassifier aware, ImageDataset images,
            Attack attack, int batchSize) {
        return craft(aware.guarded(), aware, images, attack, batchSize);
    }

    private static AdversarialSet craft(Classifier model, Classifier target, ImageDataset images,
            Attack attack, int batchSize) {
        int imageSize = (int) images.imageShape().size();
        float[] adversarial = new float[images.size() * imageSize];
        boolean[] fooled = new boolean[images.size()];
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int b = 0; b < images.numBatches(batchSize); b++) {
                try (NDManager step = manager.newSubManager()) {
                    Batch batch = images.batchNumber(step, b, batchSize);
                    Criterion criterion = target instanceof DetectorAwareClassifier aware
                            ? new EvadingMisclassification(batch.y(), aware.rejectClass())
                            : new Misclassification(batch.y());
                    AttackResult result = attack.run(target, batch.x(), criterion);
                    System.arraycopy(result.adversarial(), 0, adversarial,
                            b * batchSize * imageSize, result.adversarial().length);
                    int[] labels = batch.y().toType(DataType.INT32, false).toIntArray();
                    int[] predicted = model.logits(result.adversarial(step)).argMax(1)
                            .toType(DataType.INT32, false).toIntArray();
                    for (int i = 0; i < labels.length; i++) {
                        fooled[b * batchSize + i] = predicted[i] != labels[i];
                    }
                }
            }
        }
        return new AdversarialSet(adversarial, fooled);
    }

    /** How many fool the classifier. */
    public int count() {
        int n = 0;
        for (boolean f : fooled) {
            n += f ? 1 : 0;
        }
        return n;
    }

    /** The examples as a data set with the labels of {@code of}, 8-bit like every image set. */
    public ImageDataset asDataset(ImageDataset of, String name) {
        return of.withImages(name, pixels);
    }
}
