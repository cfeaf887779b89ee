package org.parry.defense.purify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.parry.model.Bounds;
import org.parry.model.Stage;

/**
 * JPEG compression as an input transform (Dziugaite, Ghahramani and Roy, "A study of the effect of
 * JPG compression on adversarial images", 2016; Guo, Rana, Cissé and van der Maaten, "Countering
 * adversarial images using input transformations", ICLR 2018): each image is quantized to 8 bits,
 * encoded as a baseline JPEG at quality q and decoded again,
 * <pre>
 *   s(x) = decode(encode_q(round(255 · x))) / 255      (x in [0, 1]; other boxes are mapped to it)
 * </pre>
 * The 8 × 8 DCT coefficients are quantized, which removes much of a small high-frequency
 * perturbation. The codec is the JDK's own (javax.imageio), grayscale for one channel and YCbCr
 * for three. It runs on the Java side: the stage is not differentiable, and an attack passes it
 * with BPDA's identity stand-in (Athalye, Carlini and Wagner, ICML 2018, break it this way).
 *
 * @param quality q, from 1 to 100 (Guo et al. use 75)
 */
public record JpegCompression(int quality) implements Stage {

    public JpegCompression {
        if (quality < 1 || quality > 100) {
            throw new IllegalArgumentException("jpeg: quality must be in 1..100, got " + quality);
        }
    }

    @Override
    public String name() {
        return "jpeg";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("quality", quality);
        return settings;
    }

    @Override
    public NDArray apply(NDArray x, Bounds bounds, SplittableRandom random) {
        int n = Math.toIntExact(x.getShape().get(0));
        int channels = Math.toIntExact(x.getShape().get(1));
        int height = Math.toIntExact(x.getShape().get(2));
        int width = Math.toIntExact(x.getShape().get(3));
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("jpeg compresses images of 1 or 3 channels, got "
                    + channels);
        }
        float[] pixels = x.stopGradient().sub(bounds.lower()).div(bounds.range())
                .toType(DataType.FLOAT32, false).toFloatArray();
        int plane = height * width;
        int size = channels * plane;
        for (int image = 0; image < n; image++) {
            compress(pixels, image * size, channels, height, width);
        }
        return x.getManager().create(pixels, x.getShape()).toType(x.getDataType(), false)
                .mul(bounds.range()).add(bounds.lower());
    }

    /** Replaces one image of {@code pixels} (CHW, in [0, 1]) by its JPEG round trip. */
    private void compress(float[] pixels, int offset, int channels, int height, int width) {
        int plane = height * width;
        BufferedImage image = new BufferedImage(width, height,
                channels == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_3BYTE_BGR);
        WritableRaster raster = image.getRaster();
        int[] sample = new int[channels];
        for (int i = 0; i < height; i++) {
            for (int j = 0; j < width; j++) {
                for (int c = 0; c < channels; c++) {
                    float value = pixels[offset + c * plane + i * width + j];
                    sample[c] = Math.round(Math.max(0f, Math.min(1f, value)) * 255f);
                }
                raster.setPixel(j, i, sample);
            }
        }
        BufferedImage decoded = decode(encode(image));
        WritableRaster result = decoded.getRaster();
        for (int i = 0; i < height; i++) {
            for (int j = 0; j < width; j++) {
                result.getPixel(j, i, sample);
                for (int c = 0; c < channels; c++) {
                    pixels[offset + c * plane + i * width + j] = sample[c] / 255f;
                }
            }
        }
    }

    private byte[] encode(BufferedImage image) {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
        if (!writers.hasNext()) {
            throw new IllegalStateException("this JVM has no JPEG encoder (javax.imageio)");
        }
        ImageWriter writer = writers.next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam parameters = writer.getDefaultWriteParam();
            parameters.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            parameters.setCompressionQuality(quality / 100f);
            writer.write(null, new IIOImage(image, null, null), parameters);
        } catch (IOException e) {
            throw new UncheckedIOException("jpeg: encoding failed", e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    private static BufferedImage decode(byte[] jpeg) {
        try {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(jpeg));
            if (image == null) {
                throw new IllegalStateException("jpeg: the JDK could not decode its own output");
            }
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException("jpeg: decoding failed", e);
        }
    }

    @Override
    public boolean differentiable() {
        return false;
    }
}
