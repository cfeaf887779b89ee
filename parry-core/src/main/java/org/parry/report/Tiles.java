package org.parry.report;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import javax.imageio.ImageIO;

/**
 * Gallery images: an image or a perturbation enlarged by an integer factor, nearest neighbour (so
 * pixels stay visible), as PNG bytes. Perturbations are amplified to the full range: for grey
 * images a diverging map (white = unchanged, red = brighter, blue = darker, full colour at
 * max|δ|); for colour images 0.5 + δ / (2 max|δ|) per channel (mid-grey = unchanged).
 */
final class Tiles {

    static {
        ReportWriter.ensureHeadless();
    }

    /** The longer side of an enlarged tile is at least this many pixels. */
    static final int MIN_SIDE = 112;

    private static final int[] POSITIVE = {0xB2, 0x18, 0x2B};
    private static final int[] NEGATIVE = {0x21, 0x66, 0xAC};

    private final int channels;
    private final int height;
    private final int width;
    private final int scale;

    Tiles(int channels, int height, int width) {
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.scale = Math.max(1, (MIN_SIDE + Math.max(height, width) - 1) / Math.max(height, width));
    }

    int scale() {
        return scale;
    }

    int tileWidth() {
        return width * scale;
    }

    int tileHeight() {
        return height * scale;
    }

    /** C×H×W values in [0, 1] (clipped; NaN black) as an enlarged PNG. */
    byte[] image(float[] chw) throws IOException {
        int plane = height * width;
        int[] rgb = new int[plane];
        for (int p = 0; p < plane; p++) {
            int r = byteOf(chw[p]);
            int g = channels >= 3 ? byteOf(chw[plane + p]) : r;
            int b = channels >= 3 ? byteOf(chw[2 * plane + p]) : r;
            rgb[p] = (r << 16) | (g << 8) | b;
        }
        return png(rgb);
    }

    /** The largest |adversarial - clean| over all values. */
    static float maxAbsDifference(float[] clean, float[] adversarial) {
        float max = 0f;
        for (int k = 0; k < clean.length; k++) {
            max = Math.max(max, Math.abs(adversarial[k] - clean[k]));
        }
        return max;
    }

    /** The perturbation adversarial - clean, amplified to the full colour range. */
    byte[] perturbation(float[] clean, float[] adversarial) throws IOException {
        float max = maxAbsDifference(clean, adversarial);
        int plane = height * width;
        int[] rgb = new int[plane];
        for (int p = 0; p < plane; p++) {
            if (channels >= 3) {
                int[] c = new int[3];
                for (int ch = 0; ch < 3; ch++) {
                    float d = adversarial[ch * plane + p] - clean[ch * plane + p];
                    c[ch] = byteOf(max > 0f ? 0.5f + d / (2f * max) : 0.5f);
                }
                rgb[p] = (c[0] << 16) | (c[1] << 8) | c[2];
            } else {
                float t = max > 0f ? (adversarial[p] - clean[p]) / max : 0f;
                int[] toward = t >= 0 ? POSITIVE : NEGATIVE;
                float s = Math.min(1f, Math.abs(t));
                int r = Math.round(255 + s * (toward[0] - 255));
                int g = Math.round(255 + s * (toward[1] - 255));
                int b = Math.round(255 + s * (toward[2] - 255));
                rgb[p] = (r << 16) | (g << 8) | b;
            }
        }
        return png(rgb);
    }

    private byte[] png(int[] rgb) throws IOException {
        BufferedImage image = new BufferedImage(tileWidth(), tileHeight(), BufferedImage.TYPE_INT_RGB);
        int[] row = new int[tileWidth()];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                Arrays.fill(row, x * scale, (x + 1) * scale, rgb[y * width + x]);
            }
            for (int dy = 0; dy < scale; dy++) {
                image.setRGB(0, y * scale + dy, tileWidth(), 1, row, 0, tileWidth());
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(image, "png", out)) {
            throw new IOException("this Java runtime has no PNG writer");
        }
        return out.toByteArray();
    }

    private static int byteOf(float value) {
        float clipped = Float.isNaN(value) ? 0f : Math.max(0f, Math.min(1f, value));
        return Math.round(clipped * 255f);
    }
}
