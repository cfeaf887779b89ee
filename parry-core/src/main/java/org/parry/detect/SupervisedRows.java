package org.parry.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.parry.data.ImageDataset;
import org.parry.model.Bounds;

/**
 * What a supervised detector's logistic regression learns from (Feinman et al. 2017; Ma et al.
 * 2018; Lee et al. 2018, as the survey's code builds it): the detector's features of
 * <ul>
 *   <li>the clean images the adversarial examples were made from (negative), each once;
 *   <li>a noisy copy of each of them per attack (negative): x + ‖x_adv − x‖₂ · g/‖g‖₂ with g
 *       standard Gaussian, clipped to the model's bounds, so that a detector does not learn
 *       "perturbed" rather than "adversarial" (the authors scale the noise per attack; matching
 *       each example's own L2 norm does that per image);
 *   <li>the adversarial examples of every attack (positive).
 * </ul>
 * Batch by batch, each batch's arrays freed before the next.
 *
 * @param features one row of detector features per input
 * @param adversarial whether each row is adversarial
 */
record SupervisedRows(double[][] features, boolean[] adversarial) {

    /** Inputs per batch while collecting. */
    static final int BATCH = 100;

    /**
     * @param features the detector's features of a batch [B, C, H, W], as [B, d]
     */
    static SupervisedRows collect(FitData data, Function<NDArray, NDArray> features) {
        List<double[]> rows = new ArrayList<>();
        List<Boolean> labels = new ArrayList<>();
        int paired = data.adversarial().values().stream().mapToInt(ImageDataset::size).max()
                .orElse(0);
        Bounds bounds = data.model().bounds();
        SplittableRandom random = new SplittableRandom(data.seed());
        try (NDManager manager = NDManager.newBaseManager()) {
            ImageDataset clean = data.clean().first(paired);
            for (int b = 0; b < clean.numBatches(BATCH); b++) {
                try (NDManager step = manager.newSubManager()) {
                    add(rows, labels, features.apply(clean.batchNumber(step, b, BATCH).x()), false);
                }
            }
            for (Map.Entry<String, ImageDataset> attack : data.adversarial().entrySet()) {
                ImageDataset adversarial = attack.getValue();
                for (int b = 0; b < adversarial.numBatches(BATCH); b++) {
                    try (NDManager step = manager.newSubManager()) {
                        NDArray adv = adversarial.batchNumber(step, b, BATCH).x();
                        NDArray x = data.clean().batch(step, b * BATCH,
                                b * BATCH + (int) adv.getShape().get(0)).x();
                        add(rows, labels, features.apply(noisy(x, adv, bounds, random)), false);
                        add(rows, labels, features.apply(adv), true);
                    }
                }
            }
        }
        boolean[] adversarial = new boolean[labels.size()];
        for (int i = 0; i < adversarial.length; i++) {
            adversarial[i] = labels.get(i);
        }
        return new SupervisedRows(rows.toArray(double[][]::new), adversarial);
    }

    /** x + ‖adv − x‖₂ g/‖g‖₂ per image, clipped to the bounds. */
    private static NDArray noisy(NDArray x, NDArray adv, Bounds bounds, SplittableRandom random) {
        Shape shape = x.getShape();
        int n = (int) shape.get(0);
        int size = (int) (shape.size() / n);
        float[] norms = adv.sub(x).reshape(n, -1).norm(new int[] {1}).toFloatArray();
        float[] noise = new float[n * size];
        for (int i = 0; i < n; i++) {
            double length = 0;
            for (int j = 0; j < size; j++) {
                double g = gaussian(random);
                noise[i * size + j] = (float) g;
                length += g * g;
            }
            double factor = norms[i] / Math.sqrt(length);
            for (int j = 0; j < size; j++) {
                noise[i * size + j] *= (float) factor;
            }
        }
        return bounds.clip(x.add(x.getManager().create(noise, shape)));
    }

    private static double gaussian(SplittableRandom random) {
        double u = random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log1p(-u)) * Math.cos(2 * Math.PI * v);
    }

    private static void add(List<double[]> rows, List<Boolean> labels, NDArray features,
            boolean adversarial) {
        int n = (int) features.getShape().get(0);
        double[] values = features.toType(DataType.FLOAT64, false).toDoubleArray();
        int d = values.length / n;
        for (int i = 0; i < n; i++) {
            rows.add(java.util.Arrays.copyOfRange(values, i * d, (i + 1) * d));
            labels.add(adversarial);
        }
    }

    /** The regression fitted on these rows. */
    LogisticRegression fit(LogisticRegression.Scaling scaling, double l2) {
        return LogisticRegression.fit(features, adversarial, scaling, l2);
    }
}
