package org.parry.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.parry.data.ImageDataset;
import org.parry.model.Classifier;
import org.parry.model.InputCheck;
import org.parry.model.Models;

/** Models a command loads from several paths (transfer sources, a matrix's models), closed together. */
final class LoadedModels implements AutoCloseable {

    private final List<Classifier> models = new ArrayList<>();

    private LoadedModels() {}

    /**
     * Loads every path and checks that the data set fits each model; on a failure the models
     * loaded so far are closed.
     */
    static LoadedModels load(List<Path> paths, ImageDataset images) throws IOException {
        LoadedModels loaded = new LoadedModels();
        try {
            for (Path path : paths) {
                Classifier model = Models.load(path, images.imageShape());
                loaded.models.add(model);
                InputCheck.requireCompatible(model, images);
            }
            return loaded;
        } catch (IOException | RuntimeException e) {
            loaded.close();
            throw e;
        }
    }

    /** The models, in the order of the paths. */
    List<Classifier> list() {
        return List.copyOf(models);
    }

    @Override
    public void close() {
        models.forEach(Classifier::close);
    }
}
