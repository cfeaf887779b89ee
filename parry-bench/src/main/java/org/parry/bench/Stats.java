package org.parry.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Summary of repeated measurements of one quantity (a throughput, a time): median, minimum,
 * maximum and the relative spread {@code (max - min) / median}.
 *
 * @param median the median of the repetitions (mean of the middle two for an even count)
 * @param min the smallest repetition
 * @param max the largest repetition
 * @param samples every repetition, in the order measured
 */
public record Stats(double median, double min, double max, double[] samples) {

    /** Summarizes at least one sample. */
    public static Stats of(double... samples) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        double[] sorted = samples.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return new Stats(median, sorted[0], sorted[n - 1], samples.clone());
    }

    /** {@code (max - min) / median}, 0 for a single sample. */
    public double relativeSpread() {
        return median == 0 ? 0 : (max - min) / median;
    }

    /** The same statistics with every sample multiplied by {@code factor} (unit conversion). */
    public Stats scale(double factor) {
        double[] scaled = new double[samples.length];
        for (int i = 0; i < samples.length; i++) {
            scaled[i] = samples[i] * factor;
        }
        return of(scaled);
    }

    /** The reciprocal of every sample: turns seconds per item into items per second. */
    public Stats reciprocal() {
        double[] inverted = new double[samples.length];
        for (int i = 0; i < samples.length; i++) {
            inverted[i] = 1 / samples[i];
        }
        return of(inverted);
    }

    /**
     * The ratio of each sample to the sample of {@code denominator} taken in the same round, for
     * quantities measured side by side ({@link Timing#measureSideBySide}): e.g. a model's time per
     * batch over the baseline's, its cost relative to the baseline in each round.
     */
    public Stats over(Stats denominator) {
        if (denominator.samples.length != samples.length) {
            throw new IllegalArgumentException("paired ratios need as many samples in both, got "
                    + samples.length + " and " + denominator.samples.length);
        }
        double[] ratios = new double[samples.length];
        for (int i = 0; i < samples.length; i++) {
            ratios[i] = samples[i] / denominator.samples[i];
        }
        return of(ratios);
    }

    /** "median (min..max, ±x%)" with the given number format, e.g. {@code "%.1f"}. */
    public String format(String number) {
        return String.format(number + " (" + number + ".." + number + ", spread %.1f%%)",
                median, min, max, 100 * relativeSpread());
    }

    /** A JSON-friendly map: median, min, max, relative spread, samples. */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("median", median);
        json.put("min", min);
        json.put("max", max);
        json.put("relative_spread", relativeSpread());
        json.put("samples", samples.clone());
        return json;
    }
}
