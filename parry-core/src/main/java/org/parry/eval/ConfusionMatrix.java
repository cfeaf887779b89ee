package org.parry.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.function.IntConsumer;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.model.Classifier;
import org.parry.model.InputCheck;

/**
 * Counts of (true class, predicted class) pairs over a data set: clean accuracy, per-class
 * accuracy and the confusion matrix in one pass of the model.
 *
 * @param classNames the data set's class names, indexing rows and columns
 * @param counts counts[trueClass][predictedClass]
 */
public record ConfusionMatrix(List<String> classNames, long[][] counts) {

    /**
     * Runs {@code model} over {@code data} in batches.
     *
     * @param progress told the number of images done: 0 when it starts, then after each batch
     */
    public static ConfusionMatrix measure(Classifier model, ImageDataset data, int batchSize,
            IntConsumer progress) {
        InputCheck.requireCompatible(model, data);
        long[][] counts = new long[data.numClasses()][model.numClasses()];
        int done = 0;
        progress.accept(done);
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int b = 0; b < data.numBatches(batchSize); b++) {
                try (NDManager step = manager.newSubManager()) {
                    Batch batch = data.batchNumber(step, b, batchSize);
                    NDArray predictions = model.logits(batch.x()).argMax(1);
                    long[] predicted = predictions.toLongArray();
                    int[] labels = batch.y().toIntArray();
                    for (int i = 0; i < labels.length; i++) {
                        counts[labels[i]][(int) predicted[i]]++;
                    }
                    done += labels.length;
                }
                progress.accept(done);
            }
        }
        return new ConfusionMatrix(data.classNames(), counts);
    }

    /**
     * Counts (label, prediction) pairs given as arrays, e.g. the predictions an attack reached
     * ({@link AttackTally#adversarialPredictions()}).
     *
     * @param columns the number of classes predictions range over (the model's K)
     */
    public static ConfusionMatrix count(List<String> classNames, int columns, int[] labels,
            int[] predictions) {
        if (labels.length != predictions.length) {
            throw new IllegalArgumentException("one prediction per label needed, got "
                    + predictions.length + " predictions for " + labels.length + " labels");
        }
        long[][] counts = new long[classNames.size()][columns];
        for (int i = 0; i < labels.length; i++) {
            counts[labels[i]][predictions[i]]++;
        }
        return new ConfusionMatrix(classNames, counts);
    }

    /** The number of images counted. */
    public long total() {
        long total = 0;
        for (long[] row : counts) {
            for (long count : row) {
                total += count;
            }
        }
        return total;
    }

    /** The fraction of images predicted as their true class. */
    public double accuracy() {
        long correct = 0;
        for (int c = 0; c < counts.length; c++) {
            correct += counts[c][c];
        }
        return total() == 0 ? Double.NaN : (double) correct / total();
    }

    /** Accuracy restricted to each true class (NaN for a class with no images). */
    public double[] perClassAccuracy() {
        double[] accuracy = new double[counts.length];
        for (int c = 0; c < counts.length; c++) {
            long row = 0;
            for (long count : counts[c]) {
                row += count;
            }
            accuracy[c] = row == 0 ? Double.NaN : (double) counts[c][c] / row;
        }
        return accuracy;
    }
}
