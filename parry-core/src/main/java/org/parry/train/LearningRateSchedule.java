package org.parry.train;

/**
 * The learning rate as a function of training progress, measured in epochs (fractional within an
 * epoch): constant; step decay (multiply by gamma every k epochs); or cosine annealing from the
 * base rate to zero over the run (Loshchilov and Hutter, "SGDR", ICLR 2017, without restarts).
 */
@FunctionalInterface
public interface LearningRateSchedule {

    /** @param progress epochs done, e.g. 2.5 half-way through the third epoch */
    float rate(double progress);

    /** The schedule that {@code settings} names. */
    static LearningRateSchedule of(TrainingSettings settings) {
        float base = settings.learningRate();
        return switch (settings.schedule()) {
            case "step" -> progress -> base * (float) Math.pow(settings.stepGamma(),
                    Math.floor(progress / settings.stepEpochs()));
            case "cosine" -> progress -> (float) (0.5 * base
                    * (1 + Math.cos(Math.PI * Math.min(progress / settings.epochs(), 1.0))));
            default -> progress -> base;
        };
    }
}
