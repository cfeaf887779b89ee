package org.parry.attack;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.parry.model.Bounds;

/**
 * The points {@link Square} proposes, computed on the Java side for one sample at a time: the
 * starting points and the square-shaped updates for L∞ and L2, following AutoAttack's
 * square.py. Every proposal reads the clean sample and the current best point (flat [C, H, W]
 * slices of a batch array) and writes the candidate into an output slice; the candidate is in
 * the ε-ball (up to float rounding for L2) and in the model's box.
 *
 * <p>Random draws come only from the sample's own {@link SplittableRandom}, in a fixed order per
 * proposal, so a sample's sequence of proposals does not depend on the other samples. Not
 * thread-safe (it caches the L2 patterns).
 */
final class SquarePatterns {

    private static final double TINY = 1e-12;

    private final int channels;
    private final int height;
    private final int width;
    private final int plane;
    private final float epsilon;
    private final Bounds box;
    private final Map<Integer, double[]> doubleSquares = new HashMap<>();

    SquarePatterns(int channels, int height, int width, float epsilon, Bounds box) {
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.plane = height * width;
        this.epsilon = epsilon;
        this.box = box;
    }

    /**
     * The L∞ square side for a fraction p of the pixels: round(√(p · H · W)) (half to even, as
     * Python's round), clipped to [1, min(H, W) − 1] as in the paper's code.
     */
    int linfSide(double p) {
        int side = (int) Math.rint(Math.sqrt(p * plane));
        return Math.max(1, Math.min(side, Math.min(height, width) - 1));
    }

    /** The L2 square side: round(√(p · H · W)), at least 3, odd, and at most min(H, W). */
    int l2Side(double p) {
        int side = Math.max((int) Math.rint(Math.sqrt(p * plane)), 3);
        if (side % 2 == 0) {
            side++;
        }
        while (side > Math.min(height, width) && side > 1) {
            side -= 2;
        }
        return Math.max(side, 1);
    }

    /** L∞ start: vertical stripes, clip(x + ε · s) with one sign s per (channel, column). */
    void linfStart(float[] clean, int base, SplittableRandom random, float[] out, int offset) {
        for (int c = 0; c < channels; c++) {
            for (int col = 0; col < width; col++) {
                float shift = random.nextBoolean() ? epsilon : -epsilon;
                for (int row = 0; row < height; row++) {
                    int i = c * plane + row * width + col;
                    out[offset + i] = box.clip(clean[base + i] + shift);
                }
            }
        }
    }

    /**
     * L∞ update: the best point with one random side × side window of every channel moved to
     * the vertex, Proj(best + 2ε · s_c) = clip(x ± ε), one random sign s_c per channel.
     */
    void linfPropose(float[] clean, float[] best, int base, int side, SplittableRandom random,
            float[] out, int offset) {
        System.arraycopy(best, base, out, offset, channels * plane);
        int top = random.nextInt(height - side + 1);
        int left = random.nextInt(width - side + 1);
        float twoEpsilon = 2f * epsilon;
        for (int c = 0; c < channels; c++) {
            float shift = random.nextBoolean() ? twoEpsilon : -twoEpsilon;
            for (int row = top; row < top + side; row++) {
                for (int col = left; col < left + side; col++) {
                    int i = c * plane + row * width + col;
                    float x = clean[base + i];
                    float moved = Math.min(Math.max(best[base + i] + shift, x - epsilon), x + epsilon);
                    out[offset + i] = box.clip(moved);
                }
            }
        }
    }

    /**
     * L2 start: a grid of double squares of side s = max(1, H / 5) starting at (H − 5s) / 2 in
     * both directions, each with a random orientation and one random sign per channel, the sum
     * rescaled to ‖δ‖₂ = ε, then clipped to the box. Squares that would cross the image border
     * are cut (AutoAttack's grid never does for square images of side >= 5).
     */
    void l2Start(float[] clean, int base, SplittableRandom random, float[] out, int offset) {
        int side = Math.max(1, height / 5);
        int margin = (height - 5 * side) / 2;
        double[] delta = new double[channels * plane];
        for (int top = margin, rows = 0; rows < height / side; rows++, top += side) {
            for (int left = margin, cols = 0; cols < width / side; cols++, left += side) {
                double[] pattern = doubleSquare(side, random.nextBoolean());
                for (int c = 0; c < channels; c++) {
                    double sign = random.nextBoolean() ? 1 : -1;
                    for (int r = 0; r < side && top + r < height; r++) {
                        for (int q = 0; q < side && left + q < width; q++) {
                            delta[c * plane + (top + r) * width + left + q] += sign * pattern[r * side + q];
                        }
                    }
                }
            }
        }
        writeOnSphere(clean, base, delta, out, offset);
    }

    /**
     * L2 update (AutoAttack's square.py): within window 1, the current perturbation (normalized
     * per channel) plus a new double square with one random sign per channel, rescaled per
     * channel to √(max(ε² − ‖δ‖², 0) / C + ‖δ restricted to windows 1 ∪ 2‖²); window 2 is set to
     * zero (its mass moves to window 1); the result is rescaled to ‖δ‖₂ = ε and clipped to the box.
     */
    void l2Propose(float[] clean, float[] best, int base, int side, SplittableRandom random,
            float[] out, int offset) {
        int top = random.nextInt(height - side + 1);
        int left = random.nextInt(width - side + 1);
        int top2 = random.nextInt(height - side + 1);
        int left2 = random.nextInt(width - side + 1);
        double[] pattern = doubleSquare(side, random.nextBoolean());
        double[] delta = new double[channels * plane];
        double imageSquared = 0;
        for (int i = 0; i < delta.length; i++) {
            delta[i] = (double) best[base + i] - clean[base + i];
            imageSquared += delta[i] * delta[i];
        }
        double windowsSquared = 0;
        double[] window1Norms = new double[channels];
        for (int c = 0; c < channels; c++) {
            double sum = 0;
            for (int row = top; row < top + side; row++) {
                for (int col = left; col < left + side; col++) {
                    double v = delta[c * plane + row * width + col];
                    sum += v * v;
                }
            }
            window1Norms[c] = Math.sqrt(sum);
            windowsSquared += sum;
            for (int row = top2; row < top2 + side; row++) {
                for (int col = left2; col < left2 + side; col++) {
                    if (row >= top && row < top + side && col >= left && col < left + side) {
                        continue; // counted with window 1: the mask is the union of the windows
                    }
                    double v = delta[c * plane + row * width + col];
                    windowsSquared += v * v;
                }
            }
        }
        double budget = Math.sqrt(Math.max(epsilon * (double) epsilon - imageSquared, 0) / channels
                + windowsSquared);
        double[][] updates = new double[channels][side * side];
        for (int c = 0; c < channels; c++) {
            double sign = random.nextBoolean() ? 1 : -1;
            double[] update = updates[c];
            double squared = 0;
            for (int r = 0; r < side; r++) {
                for (int q = 0; q < side; q++) {
                    double old = delta[c * plane + (top + r) * width + left + q] / (TINY + window1Norms[c]);
                    update[r * side + q] = pattern[r * side + q] * sign + old;
                    squared += update[r * side + q] * update[r * side + q];
                }
            }
            double scale = budget / (TINY + Math.sqrt(squared));
            for (int k = 0; k < update.length; k++) {
                update[k] *= scale;
            }
        }
        for (int c = 0; c < channels; c++) {
            for (int row = top2; row < top2 + side; row++) {
                for (int col = left2; col < left2 + side; col++) {
                    delta[c * plane + row * width + col] = 0;
                }
            }
        }
        for (int c = 0; c < channels; c++) {
            for (int r = 0; r < side; r++) {
                for (int q = 0; q < side; q++) {
                    delta[c * plane + (top + r) * width + left + q] = updates[c][r * side + q];
                }
            }
        }
        writeOnSphere(clean, base, delta, out, offset);
    }

    /** out = clip(x + ε · δ / (‖δ‖₂ + 1e-12)) into the box. */
    private void writeOnSphere(float[] clean, int base, double[] delta, float[] out, int offset) {
        double squared = 0;
        for (double v : delta) {
            squared += v * v;
        }
        double scale = epsilon / (Math.sqrt(squared) + TINY);
        for (int i = 0; i < delta.length; i++) {
            out[offset + i] = box.clip((float) (clean[base + i] + delta[i] * scale));
        }
    }

    /** The double square of side s, cached, transposed if asked. */
    private double[] doubleSquare(int side, boolean transposed) {
        double[] pattern = doubleSquares.computeIfAbsent(side, SquarePatterns::doubleSquare);
        if (!transposed) {
            return pattern;
        }
        double[] flipped = new double[pattern.length];
        for (int r = 0; r < side; r++) {
            for (int q = 0; q < side; q++) {
                flipped[q * side + r] = pattern[r * side + q];
            }
        }
        return flipped;
    }

    /**
     * AutoAttack's {@code eta(s)} without its random transpose: the top s/2 rows hold a centred
     * 1/r² pyramid, the bottom s − s/2 rows the negated pyramid, the whole with unit L2 norm.
     * Row-major s × s.
     */
    static double[] doubleSquare(int side) {
        int upper = side / 2;
        double[] pattern = new double[side * side];
        double[] top = pyramid(upper, side);
        double[] bottom = pyramid(side - upper, side);
        System.arraycopy(top, 0, pattern, 0, top.length);
        for (int k = 0; k < bottom.length; k++) {
            pattern[upper * side + k] = -bottom[k];
        }
        return normalized(pattern);
    }

    /**
     * AutoAttack's {@code eta_rectangles(rows, cols)}: nested rectangles around the centre
     * (rows / 2, cols / 2), the k-th (k = 0, 1, ...) of half-size k adding 1 / (k + 1)², clipped to
     * the array, then unit L2 norm. Row-major rows × cols; empty when rows is 0.
     */
    static double[] pyramid(int rows, int cols) {
        double[] values = new double[rows * cols];
        if (values.length == 0) {
            return values;
        }
        int centreRow = rows / 2;
        int centreCol = cols / 2;
        int levels = Math.max(rows / 2 + 1, cols / 2 + 1);
        for (int k = 0; k < levels; k++) {
            double add = 1.0 / ((k + 1.0) * (k + 1.0));
            int fromRow = Math.max(centreRow - k, 0);
            int toRow = Math.min(centreRow - k + 2 * k + 1, rows);
            int fromCol = Math.max(centreCol - k, 0);
            int toCol = Math.min(centreCol - k + 2 * k + 1, cols);
            for (int r = fromRow; r < toRow; r++) {
                for (int q = fromCol; q < toCol; q++) {
                    values[r * cols + q] += add;
                }
            }
        }
        return normalized(values);
    }

    private static double[] normalized(double[] values) {
        double squared = 0;
        for (double v : values) {
            squared += v * v;
        }
        double norm = Math.sqrt(squared);
        for (int i = 0; i < values.length; i++) {
            values[i] /= norm;
        }
        return values;
    }
}
