package org.parry.train;

/**
 * What one epoch of training measured.
 *
 * @param epoch 1-based epoch number
 * @param loss mean training loss over the epoch's batches
 * @param accuracy training accuracy over the epoch (on what the objective trained on)
 * @param learningRate the rate at the epoch's last step
 * @param seconds wall time of the epoch
 * @param imagesPerSecond training throughput
 */
public record EpochMetrics(int epoch, double loss, double accuracy, double learningRate,
        double seconds, double imagesPerSecond) {}
