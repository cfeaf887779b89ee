package org.parry.train;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import java.io.BufferedInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.parry.io.AtomicFiles;
import org.parry.model.SavedModel;

/**
 * The state of a training run after a completed epoch: weights, optimizer state and the metrics
 * so far. Written at the end of every epoch, each file to a temporary name first and
 * {@code checkpoint.json} last, so a run killed at any moment leaves the previous epoch's
 * checkpoint readable.
 *
 * @param epochsCompleted epochs done
 * @param settings the run's settings (a resumed run must use compatible ones)
 * @param objective the training objective's name
 * @param history one entry per completed epoch
 */
public record Checkpoint(int epochsCompleted, TrainingSettings settings, String objective,
        List<EpochMetrics> history) {

    static final String STATE_FILE = "checkpoint.json";
    private static final String WEIGHTS_FILE = "weights.params";
    private static final String OPTIMIZER_FILE = "optimizer.state";

    public Checkpoint {
        history = List.copyOf(history);
    }

    /** Whether {@code directory} holds a checkpoint. */
    public static boolean exists(Path directory) {
        return directory != null && Files.isRegularFile(directory.resolve(STATE_FILE));
    }

    /** Reads the checkpoint's description (not its arrays). */
    public static Checkpoint read(Path directory) throws IOException {
        try {
            return SavedModel.json().readValue(directory.resolve(STATE_FILE).toFile(),
                    Checkpoint.class);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IOException(directory.resolve(STATE_FILE)
                    + ": corrupt checkpoint (" + e.getOriginalMessage()
                    + "); delete the directory to start over", e);
        }
    }

    void write(Path directory, Block block, Optimizer optimizer) throws IOException {
        Files.createDirectories(directory);
        AtomicFiles.write(directory.resolve(WEIGHTS_FILE),
                out -> block.saveParameters(new DataOutputStream(out)));
        AtomicFiles.write(directory.resolve(OPTIMIZER_FILE), out -> optimizer.state().encode(out));
        AtomicFiles.write(directory.resolve(STATE_FILE),
                out -> SavedModel.json().writeValue(out, this));
    }

    static void restore(Path directory, Block block, Optimizer optimizer, NDManager manager)
            throws IOException {
        try {
            SavedModel.readWeights(block, manager, directory.resolve(WEIGHTS_FILE));
        } catch (IOException | RuntimeException e) {
            throw new IOException(directory.resolve(WEIGHTS_FILE) + ": corrupt weights ("
                    + e.getMessage() + "); delete the checkpoint to start over", e);
        }
        try (InputStream in = new BufferedInputStream(
                Files.newInputStream(directory.resolve(OPTIMIZER_FILE)));
                NDManager scratch = manager.newSubManager()) {
            optimizer.restore(NDList.decode(scratch, in));
        }
    }

}
