package org.parry.cli;

import java.util.Locale;
import org.parry.train.EpochMetrics;
import org.parry.train.TrainingListener;

/** Draws one progress bar per epoch and a summary line after it. */
final class TrainingProgress implements TrainingListener {

    private ProgressBar bar;
    private int epochs;

    @Override
    public void onStart(int firstEpoch, int epochs, int batchesPerEpoch) {
        this.epochs = epochs;
        if (firstEpoch > 1) {
            System.err.printf("resuming from the checkpoint after epoch %d%n", firstEpoch - 1);
        }
    }

    @Override
    public void onBatch(int epoch, int batch, int batchesPerEpoch, double loss, double accuracy,
            double imagesPerSecond) {
        if (batch == 1) {
            bar = new ProgressBar("epoch " + epoch + "/" + epochs, batchesPerEpoch);
        }
        bar.update(batch, String.format(Locale.ROOT, "loss %.4f acc %.4f %.0f img/s",
                loss, accuracy, imagesPerSecond));
    }

    @Override
    public void onEpoch(EpochMetrics metrics) {
        System.err.printf(Locale.ROOT, "epoch %d: loss %.4f, train accuracy %.4f, %.1f s, checkpoint saved%n",
                metrics.epoch(), metrics.loss(), metrics.accuracy(), metrics.seconds());
    }
}
