package org.parry.io;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.imageio.ImageIO;

/**
 * A PNG contact sheet of an attack: for each sample a column with the clean image, the
 * adversarial image and the perturbation amplified to the full range, 0.5 + δ / (2 max|δ|) per
 * image (mid-grey = unchanged; the caption gives max|δ|). Captions name the true class, the
 * prediction on the clean image and the prediction on the adversarial one (red when wrong, green
 * when still right) and, for a targeted attack, the target. Images are enlarged by an integer
 * factor, nearest neighbour, so pixels stay visible; samples wrap into groups of {@code columns}.
 *
 * @param title one line on top, e.g. the attack and its budget
 * @param channels C: 1 (grey) or 3 (RGB); other counts show their first channel
 * @param height H
 * @param width W
 * @param columns samples per group of rows
 * @param samples what to draw, in order
 */
public record ImageGallery(String title, int channels, int height, int width, int columns,
        List<ImageGallery.Sample> samples) {

    /**
     * One column of the gallery.
     *
     * @param clean C×H×W floats in [0, 1], CHW order
     * @param adversarial the same shape
     * @param label the true class name
     * @param cleanPrediction the predicted class name on {@code clean}
     * @param adversarialPrediction the predicted class name on {@code adversarial}
     * @param target the target class name of a targeted attack, or null
     */
    public record Sample(float[] clean, float[] adversarial, String label, String cleanPrediction,
            String adversarialPrediction, String target) {

        public Sample {
            Objects.requireNonNull(clean, "clean");
            Objects.requireNonNull(adversarial, "adversarial");
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(cleanPrediction, "cleanPrediction");
            Objects.requireNonNull(adversarialPrediction, "adversarialPrediction");
            if (clean.length != adversarial.length) {
                throw new IllegalArgumentException("clean has " + clean.length
                        + " values but adversarial has " + adversarial.length);
            }
        }
    }

    private static final int MARGIN = 10;
    private static final int GAP = 8;
    private static final int MIN_TILE = 84;
    private static final int MIN_CELL = 112;
    private static final String[] ROWS = {"clean", "adversarial", "perturbation"};
    private static final Color WRONG = new Color(0xC62828);
    private static final Color RIGHT = new Color(0x2E7D32);
    private static final Color MUTED = new Color(0x555555);

    public ImageGallery {
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(samples, "samples");
        if (channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("image shape must be positive, got " + channels
                    + "×" + height + "×" + width);
        }
        if (columns < 1) {
            throw new IllegalArgumentException("columns must be >= 1, got " + columns);
        }
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("samples: a gallery needs at least one sample");
        }
        int size = channels * height * width;
        for (int i = 0; i < samples.size(); i++) {
            if (samples.get(i).clean().length != size) {
                throw new IllegalArgumentException("samples[" + i + "] has "
                        + samples.get(i).clean().length + " values, expected " + channels + "×"
                        + height + "×" + width + " = " + size);
            }
        }
        samples = List.copyOf(samples);
    }

    /** The integer enlargement that makes the longer side at least 84 pixels. */
    public int scale() {
        return Math.max(1, (MIN_TILE + Math.max(height, width) - 1) / Math.max(height, width));
    }

    /** Draws the gallery. */
    public BufferedImage render() {
        int scale = scale();
        int tileWidth = width * scale;
        int tileHeight = height * scale;
        int cellWidth = Math.max(tileWidth, MIN_CELL) + GAP;
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
        Font bold = font.deriveFont(Font.BOLD, 12f);
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D measure = probe.createGraphics();
        FontMetrics metrics = measure.getFontMetrics(font);
        FontMetrics boldMetrics = measure.getFontMetrics(bold);
        int labelWidth = 0;
        for (String row : ROWS) {
            labelWidth = Math.max(labelWidth, boldMetrics.stringWidth(row));
        }
        measure.dispose();
        labelWidth += GAP;
        int line = metrics.getHeight();
        int rowHeight = tileHeight + 2 * line + GAP;
        int perGroup = Math.min(columns, samples.size());
        int groups = (samples.size() + perGroup - 1) / perGroup;
        int titleHeight = boldMetrics.getHeight() + GAP;
        int imageWidth = 2 * MARGIN + labelWidth + perGroup * cellWidth;
        int imageHeight = 2 * MARGIN + titleHeight + groups * 3 * rowHeight + (groups - 1) * GAP;

        BufferedImage image = new BufferedImage(imageWidth, imageHeight, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING,
                    RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION,
                    RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, imageWidth, imageHeight);
            g.setColor(Color.BLACK);
            g.setFont(bold);
            g.drawString(fit(title, boldMetrics, imageWidth - 2 * MARGIN), MARGIN,
                    MARGIN + boldMetrics.getAscent());
            for (int i = 0; i < samples.size(); i++) {
                Sample sample = samples.get(i);
                int group = i / perGroup;
                int x = MARGIN + labelWidth + (i % perGroup) * cellWidth;
                int top = MARGIN + titleHeight + group * (3 * rowHeight + GAP);
                if (i % perGroup == 0) {
                    g.setFont(bold);
                    g.setColor(Color.BLACK);
                    for (int r = 0; r < ROWS.length; r++) {
                        g.drawString(ROWS[r], MARGIN,
                                top + r * rowHeight + tileHeight / 2 + boldMetrics.getAscent() / 2);
                    }
                }
                float[] delta = new float[sample.clean().length];
                float maxAbs = 0f;
                for (int k = 0; k < delta.length; k++) {
                    delta[k] = sample.adversarial()[k] - sample.clean()[k];
                    maxAbs = Math.max(maxAbs, Math.abs(delta[k]));
                }
                float[] amplified = new float[delta.length];
                for (int k = 0; k < delta.length; k++) {
                    amplified[k] = maxAbs > 0f ? 0.5f + delta[k] / (2f * maxAbs) : 0.5f;
                }
                boolean stillRight = sample.adversarialPrediction().equals(sample.label());
                int textWidth = cellWidth - GAP;
                g.setFont(font);

                int y = top;
                g.drawImage(tile(sample.clean()), x, y, tileWidth, tileHeight, null);
                caption(g, metrics, x, y + tileHeight, textWidth,
                        "true: " + sample.label(), Color.BLACK,
                        "pred: " + sample.cleanPrediction(),
                        sample.cleanPrediction().equals(sample.label()) ? RIGHT : WRONG);

                y += rowHeight;
                g.drawImage(tile(sample.adversarial()), x, y, tileWidth, tileHeight, null);
                caption(g, metrics, x, y + tileHeight, textWidth,
                        "pred: " + sample.adversarialPrediction(), stillRight ? RIGHT : WRONG,
                        sample.target() != null ? "target: " + sample.target()
                                : !sample.cleanPrediction().equals(sample.label()) ? "wrong when clean"
                                : stillRight ? "still right" : "fooled", MUTED);

                y += rowHeight;
                g.drawImage(tile(amplified), x, y, tileWidth, tileHeight, null);
                caption(g, metrics, x, y + tileHeight, textWidth,
                        String.format(Locale.ROOT, "max|δ| %.3f", maxAbs), MUTED,
                        maxAbs > 0f ? String.format(Locale.ROOT, "shown ×%.1f", 1f / (2f * maxAbs))
                                : "unchanged", MUTED);
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    /**
     * Renders the gallery and writes it as a PNG, creating parent directories; the file is
     * replaced atomically ({@link AtomicFiles}).
     */
    public void write(Path file) throws IOException {
        BufferedImage image = render();
        AtomicFiles.write(file, out -> {
            if (!ImageIO.write(image, "png", out)) {
                throw new IOException(file + ": this Java runtime has no PNG writer");
            }
        });
    }

    private BufferedImage tile(float[] chw) {
        BufferedImage tile = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int plane = height * width;
        for (int row = 0; row < height; row++) {
            for (int col = 0; col < width; col++) {
                int p = row * width + col;
                int r = byteOf(chw[p]);
                int gr = channels == 3 ? byteOf(chw[plane + p]) : r;
                int b = channels == 3 ? byteOf(chw[2 * plane + p]) : r;
                tile.setRGB(col, row, (r << 16) | (gr << 8) | b);
            }
        }
        return tile;
    }

    private static int byteOf(float value) {
        float clipped = Float.isNaN(value) ? 0f : Math.max(0f, Math.min(1f, value));
        return Math.round(clipped * 255f);
    }

    private static void caption(Graphics2D g, FontMetrics metrics, int x, int y, int width,
            String first, Color firstColor, String second, Color secondColor) {
        g.setColor(firstColor);
        g.drawString(fit(first, metrics, width), x, y + metrics.getAscent() + 2);
        g.setColor(secondColor);
        g.drawString(fit(second, metrics, width), x, y + metrics.getHeight() + metrics.getAscent() + 2);
    }

    /** The text, cut with an ellipsis if it is wider than {@code width} pixels. */
    private static String fit(String text, FontMetrics metrics, int width) {
        if (metrics.stringWidth(text) <= width) {
            return text;
        }
        String cut = text;
        while (!cut.isEmpty() && metrics.stringWidth(cut + "…") > width) {
            cut = cut.substring(0, cut.length() - 1);
        }
        return cut + "…";
    }
}
