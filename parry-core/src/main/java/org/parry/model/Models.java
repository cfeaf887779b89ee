package org.parry.model;

import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Opens any model a user can point Parry at: a saved Parry model or a TorchScript file. */
public final class Models {

    private Models() {}

    /**
     * Opens a model, choosing the loader by what the path is, never by trying to parse: a
     * directory holding {@value SavedModel#CARD_FILE} or a {@code .json} card is a Parry model;
     * any other file is read as TorchScript, whose loader says what a file is when it is not
     * TorchScript (truncated, a {@code torch.save} pickle, not a PyTorch file at all).
     *
     * @param path a Parry model directory (or its {@code model.json}), or a TorchScript
     *     {@code .pt}/{@code .pth}/{@code .torchscript} file
     * @param inputShape (C, H, W) for TorchScript files, which do not record it; ignored for
     *     Parry models, whose card does
     */
    public static Classifier load(Path path, Shape inputShape) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null,
                    "no such model; give a directory written by 'parry train' or a TorchScript .pt file");
        }
        if (SavedModel.isSavedModel(path)) {
            return SavedModel.load(path);
        }
        if (Files.isRegularFile(path)) {
            return TorchScriptClassifier.load(path, inputShape);
        }
        throw new ModelLoadException(path, path + ": not a model Parry can read: expected a"
                + " directory with " + SavedModel.CARD_FILE + " (from 'parry train') or a"
                + " TorchScript file (.pt)");
    }
}
