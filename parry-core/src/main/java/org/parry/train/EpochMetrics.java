package org.parry.train;

import java.util.Map;

/**
 * What one epoch of training measured.
 *
 * @param epoch 1-based epoch number
 * @param loss mean training loss over the epoch's batches
 * @param accuracy training accuracy over the epoch (on what the objective trained on)
 * @param learningRate the rate at the epoch's last step
 * @param seconds wall time of the epoch
 * @param imagesPerSecond training throughput
 * @param statistics what the objective and the robustness monitor measured, by name
 */
public record EpochMetrics(int epoch, double loss, double accuracy, double learningRate,
        double seconds, double imagesPerSecond, Map<String, Double> statistics) {

    public EpochMetrics {
        statistics = statistics == null ? Map.of() : Map.copyOf(statistics);
    }
}
