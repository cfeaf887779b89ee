package org.parry.model;

import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.parry.attack.Require;
import org.parry.defense.StageRegistry;

/**
 * Where a model comes from, as a value that can be shipped to another machine and opened there:
 * a path {@link Models#load} reads (a Parry model directory, a TorchScript file, an ONNX file) and
 * the defense stages in front of it ({@link StageRegistry} specs). A cluster's executors open the
 * model from it, so the path must be one every executor can read (a shared file system).
 *
 * @param path the model's file or directory
 * @param defense the stages in front of the network, in order (empty for a bare model)
 * @param gradients how attack gradients pass the non-differentiable stages
 * @param eot draws of a random defense averaged per gradient
 * @param seed seeds the stages' randomness
 */
public record ModelSource(String path, List<String> defense, GradientMode gradients, int eot,
        long seed) implements Serializable {

    private static final long serialVersionUID = 1L;

    public ModelSource {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(gradients, "gradients");
        defense = List.copyOf(defense);
        Require.atLeast("eot", eot, 1);
        if (defense.isEmpty() && (gradients != GradientMode.EXACT || eot != 1)) {
            throw new IllegalArgumentException("gradients and eot say how attacks pass a defense;"
                    + " a model without defense stages takes exact and 1, got " + gradients.id()
                    + " and " + eot);
        }
    }

    /** A bare model at {@code path}. */
    public static ModelSource of(Path path) {
        return new ModelSource(path.toString(), List.of(), GradientMode.EXACT, 1, 0);
    }

    /** The model's file or directory. */
    public Path file() {
        return Path.of(path);
    }

    /**
     * Opens the model, with its defense in front.
     *
     * @param inputShape (C, H, W), for TorchScript and ONNX files (see {@link Models#load})
     */
    public Opened open(Shape inputShape) throws IOException {
        Classifier network = Models.load(file(), inputShape);
        try {
            return new Opened(network, defense.isEmpty() ? null
                    : StageRegistry.pipeline(network, defense, gradients, eot, seed));
        } catch (RuntimeException e) {
            network.close();
            throw e;
        }
    }

    /**
     * An opened model: the network and, for a defended model, the pipeline in front of it; closing
     * closes both.
     *
     * @param network the loaded network
     * @param pipeline the defense in front of it, or null
     */
    public record Opened(Classifier network, Pipeline pipeline) implements AutoCloseable {

        /** The model as attacks see it: the pipeline, or the bare network. */
        public Classifier classifier() {
            return pipeline == null ? network : pipeline;
        }

        @Override
        public void close() {
            try {
                if (pipeline != null) {
                    pipeline.close();
                }
            } finally {
                network.close();
            }
        }
    }
}
