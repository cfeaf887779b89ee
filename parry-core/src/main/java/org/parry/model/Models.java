package org.parry.model;

import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Opens any model a user can point Parry at: a saved Parry model, a TorchScript file (white-box)
 * or an ONNX file (query-only).
 */
public final class Models {

    private Models() {}

    /**
     * Opens a model, choosing the loader by what the path is, never by trying to parse: a
     * directory holding {@value SavedModel#CARD_FILE} or a {@code .json} card is a Parry model; a
     * file whose name ends in {@code .onnx} (any case) is an ONNX model, loaded query-only by
     * {@link OnnxClassifier} (no gradients: white-box attacks refuse it and say what works); any
     * other file is read as TorchScript, whose loader says what a file is when it is not
     * TorchScript (truncated, a {@code torch.save} pickle, an ONNX model under another name, not a
     * PyTorch file at all).
     *
     * @param path a Parry model directory (or its {@code model.json}), a TorchScript
     *     {@code .pt}/{@code .pth}/{@code .torchscript} file, or an ONNX {@code .onnx} file
     * @param inputShape (C, H, W) for TorchScript and ONNX files (which do not record it, or
     *     record it to be checked against it); ignored for Parry models, whose card does
     */
    public static Classifier load(Path path, Shape inputShape) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "no such model; give a directory"
                    + " written by 'parry train', a TorchScript .pt file or an ONNX .onnx file");
        }
        if (SavedModel.isSavedModel(path)) {
            return SavedModel.load(path);
        }
        if (Files.isRegularFile(path)) {
            return isOnnx(path) ? OnnxClassifier.load(path, inputShape)
                    : TorchScriptClassifier.load(path, inputShape);
        }
        throw new ModelLoadException(path, path + ": not a model Parry can read: expected a"
                + " directory with " + SavedModel.CARD_FILE + " (from 'parry train'), a"
                + " TorchScript file (.pt) or an ONNX file (.onnx)");
    }

    private static boolean isOnnx(Path path) {
        return path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx");
    }
}
