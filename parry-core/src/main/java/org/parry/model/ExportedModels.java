package org.parry.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * What the loaders of models exported from Python ({@link TorchScriptClassifier}, {@link
 * OnnxClassifier}) share: checks of the file and the input shape before the engine sees them, the
 * reading of engine exceptions, and the checks of what the model returned. Messages name the
 * problem and the fix; the callers add the file and the export advice of their format.
 */
final class ExportedModels {

    /** Advice when a model fails on the input shape it was given. */
    static final String SHAPE_HINT = "give it inputs of the (C, H, W) it was trained on"
            + " (for example 1,28,28 for MNIST or 3,32,32 for CIFAR-10)";

    /**
     * The first byte of an ONNX file as exporters write it: a protobuf ModelProto whose first
     * field is ir_version (field 1, varint: tag 0x08).
     */
    static final byte ONNX_FIRST_BYTE = 0x08;

    private ExportedModels() {}

    /** @throws IllegalArgumentException unless {@code inputShape} is a positive (C, H, W) */
    static void requireImageShape(Shape inputShape) {
        boolean positive = inputShape.dimension() == 3;
        for (int i = 0; positive && i < 3; i++) {
            positive = inputShape.get(i) > 0;
        }
        if (!positive) {
            throw new IllegalArgumentException("the input shape of an image classifier is"
                    + " (C, H, W) with positive sizes, got " + inputShape);
        }
    }

    /**
     * @param format the file format for messages, e.g. "TorchScript"
     * @param extension the usual file extension, e.g. ".pt"
     * @param exportHint how to write such a file, appended when the file is missing
     * @throws ModelLoadException if {@code file} is missing, a directory or unreadable
     */
    static void requireReadableFile(Path file, String format, String extension,
            String exportHint) throws ModelLoadException {
        if (!Files.exists(file)) {
            throw new ModelLoadException(file, format + " model file not found: " + file
                    + "; check the path. " + exportHint);
        }
        if (Files.isDirectory(file)) {
            throw new ModelLoadException(file, file + " is a directory, not a model file; pass"
                    + " the path of the " + format + " " + extension + " file itself");
        }
        if (!Files.isReadable(file)) {
            throw new ModelLoadException(file, "cannot read the " + format + " model file " + file
                    + "; check its permissions");
        }
    }

    /** The first {@code n} bytes of {@code file} (fewer if it is shorter). */
    static byte[] head(Path file, int n) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(n);
        }
    }

    /** Bytes as "50 4b 03 04", for messages about what a file starts with. */
    static String hex(byte[] bytes) {
        return HexFormat.ofDelimiter(" ").formatHex(bytes);
    }

    /** Whether {@code head} starts a zip archive ("PK\3\4"): TorchScript and torch.save files. */
    static boolean isZip(byte[] head) {
        return head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3
                && head[3] == 4;
    }

    /**
     * The informative part of an engine exception: for a failure inside the TorchScript
     * interpreter, the final "RuntimeError: ..." line of its traceback; otherwise the first line.
     */
    static String engineMessage(Throwable e) {
        String message = null;
        for (Throwable t = e; t != null && message == null; t = t.getCause()) {
            message = t.getMessage();
            if (t.getCause() == t) {
                break;
            }
        }
        if (message == null || message.isBlank()) {
            return e.getClass().getSimpleName();
        }
        String[] lines = message.strip().split("\\R");
        String chosen = lines[0];
        for (int i = lines.length - 1; i >= 0; i--) {
            if (lines[i].matches("^\\w*(Error|Exception): .*")) {
                chosen = lines[i];
                break;
            }
        }
        chosen = chosen.strip();
        return chosen.length() > 500 ? chosen.substring(0, 500) + "..." : chosen;
    }

    /**
     * Why {@code outputs} are not [N, K] floating-point scores, or null if they are.
     *
     * @param batch the shape of the batch the model ran on
     * @param expectedClasses K, or -1 if any K >= 2 is fine
     * @param fix what the model must return and how to get there, appended to shape problems
     */
    static String logitsProblem(NDList outputs, Shape batch, int expectedClasses, String fix) {
        if (outputs.size() != 1) {
            return "returned " + outputs.size() + " tensors for a batch of shape " + batch + fix;
        }
        NDArray logits = outputs.get(0);
        Shape shape = logits.getShape();
        long n = batch.get(0);
        if (shape.dimension() != 2 || shape.get(0) != n) {
            return "returned an output of shape " + shape + " for a batch of shape " + batch + fix;
        }
        if (shape.get(1) < 2) {
            return "returned one score per input (shape " + shape + ") but Parry needs logits"
                    + " for K >= 2 classes; for a binary model with one logit z, return"
                    + " torch.cat([torch.zeros_like(z), z], dim=1)";
        }
        if (expectedClasses > 0 && shape.get(1) != expectedClasses) {
            return "returned " + shape.get(1) + " logits per input for a batch of shape " + batch
                    + " but " + expectedClasses + " when it was loaded" + fix;
        }
        if (!logits.getDataType().isFloating()) {
            return "returned " + logits.getDataType() + " values; logits must be floating point"
                    + fix;
        }
        return null;
    }

    /**
     * Whether every row of a row-major [N, K] matrix is a probability vector: every value in
     * [0, 1] and every row summing to 1 within 1e-4 (float32 softmax rounding). Logits of a real
     * model are not, except by an accident of measure zero.
     */
    static boolean isProbabilities(float[] values, int k) {
        for (int row = 0; row < values.length / k; row++) {
            double sum = 0;
            for (int j = 0; j < k; j++) {
                float v = values[row * k + j];
                if (!(v >= 0f && v <= 1f)) {
                    return false;
                }
                sum += v;
            }
            if (Math.abs(sum - 1) > 1e-4) {
                return false;
            }
        }
        return true;
    }
}
