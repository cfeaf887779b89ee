package org.parry.model;

import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.parry.io.AtomicFiles;
import org.parry.model.zoo.ModelZoo;

/**
 * A Parry model on disk: a directory holding {@code model.json} (the {@link ModelCard}) and
 * {@code weights.params} (DJL's parameter format). Loading needs only the path of the directory
 * or of its {@code model.json}.
 */
public final class SavedModel {

    /** The card's file name inside a model directory. */
    public static final String CARD_FILE = "model.json";

    /** The weights' file name inside a model directory. */
    public static final String WEIGHTS_FILE = "weights.params";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private SavedModel() {}

    /** The JSON mapper Parry uses for its own files. */
    public static ObjectMapper json() {
        return JSON;
    }

    /**
     * Whether {@code path} is a saved Parry model: a directory holding {@value #CARD_FILE}, or a
     * JSON file (a card under another name). Any other file (a TorchScript {@code .pt}, for one)
     * is not, whatever it holds: the file name decides, never an attempt to parse.
     */
    public static boolean isSavedModel(Path path) {
        if (Files.isDirectory(path)) {
            return Files.isRegularFile(path.resolve(CARD_FILE));
        }
        return Files.isRegularFile(path)
                && path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
    }

    /**
     * Builds a freshly initialized model for a card, its parameters drawn with {@code seed}.
     */
    public static BlockClassifier create(ModelCard card, long seed) {
        Engine.getInstance().setRandomSeed((int) seed);
        NDManager manager = NDManager.newBaseManager();
        Block block = build(card);
        block.initialize(manager, DataType.FLOAT32, new Shape(1).addAll(card.shape()));
        return new BlockClassifier(card.architecture(), block, card.shape(), card.numClasses(),
                manager);
    }

    /**
     * Writes the card and the weights, replacing what the directory held, atomically per file.
     */
    public static void save(Path directory, BlockClassifier model, ModelCard card)
            throws IOException {
        AtomicFiles.write(directory.resolve(WEIGHTS_FILE),
                out -> model.block().saveParameters(new DataOutputStream(out)));
        writeCard(directory, card);
    }

    /** Writes only the card (e.g. after adding metrics). */
    public static void writeCard(Path directory, ModelCard card) throws IOException {
        AtomicFiles.write(directory.resolve(CARD_FILE), out -> JSON.writeValue(out, card));
    }

    /**
     * Reads a model's card.
     *
     * @param path the model directory or its {@code model.json}
     */
    public static ModelCard readCard(Path path) throws IOException {
        Path card = cardPath(path);
        if (!Files.isRegularFile(card)) {
            throw new NoSuchFileException(card.toString(), null,
                    "no Parry model here: expected a directory with " + CARD_FILE
                            + " (train one with 'parry train') or a TorchScript .pt file");
        }
        try {
            ModelCard read = JSON.readValue(card.toFile(), ModelCard.class);
            if (read.format() > ModelCard.FORMAT) {
                throw new IOException(card + ": model format " + read.format()
                        + " is newer than this Parry understands (" + ModelCard.FORMAT
                        + "); upgrade Parry");
            }
            return read;
        } catch (com.fasterxml.jackson.core.JacksonException | IllegalArgumentException e) {
            throw new ModelLoadException(card, card + ": not a valid Parry model card ("
                    + cardProblem(e) + "); the file is damaged or was not written by Parry:"
                    + " restore it from the model's backup or train the model again", e);
        }
    }

    /**
     * Loads a saved model: rebuilds the architecture from the card and reads the weights.
     *
     * @param path the model directory or its {@code model.json}
     */
    public static BlockClassifier load(Path path) throws IOException {
        ModelCard card = readCard(path);
        Path weights = cardPath(path).resolveSibling(WEIGHTS_FILE);
        if (!Files.isRegularFile(weights)) {
            throw new NoSuchFileException(weights.toString(), null,
                    "the model card has no weights beside it");
        }
        NDManager manager = NDManager.newBaseManager();
        try {
            Block block = build(card);
            block.initialize(manager, DataType.FLOAT32, new Shape(1).addAll(card.shape()));
            readWeights(block, manager, weights);
            return new BlockClassifier(card.architecture(), block, card.shape(), card.numClasses(),
                    manager);
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw new IOException(weights + ": cannot read the weights of a '" + card.architecture()
                    + "' model (" + e.getMessage() + "); the file is corrupt or belongs to another"
                    + " architecture", e);
        }
    }

    /**
     * Reads DJL parameters into an initialized block, checking that every array has the shape the
     * architecture expects (DJL itself would accept weights of another architecture).
     */
    public static void readWeights(Block block, NDManager manager, Path weights)
            throws IOException {
        Map<String, Shape> expected = new LinkedHashMap<>();
        block.getParameters().forEach(pair ->
                expected.put(pair.getKey(), pair.getValue().getArray().getShape()));
        try (DataInputStream in = new DataInputStream(
                new BufferedInputStream(Files.newInputStream(weights)))) {
            block.loadParameters(manager, in);
        } catch (MalformedModelException e) {
            throw new IOException(e.getMessage(), e);
        }
        block.getParameters().forEach(pair -> {
            Shape actual = pair.getValue().getArray().getShape();
            if (!actual.equals(expected.get(pair.getKey()))) {
                throw new IllegalStateException("parameter " + pair.getKey() + " has shape " + actual
                        + " where the architecture needs " + expected.get(pair.getKey()));
            }
        });
    }

    private static Block build(ModelCard card) {
        return ModelZoo.build(card.architecture(), card.shape(), card.numClasses(), card.options(),
                card.normalization());
    }

    /**
     * What is wrong with a card, in one line: the parser's own message without its source excerpt,
     * at the line and column where it stopped; or the reason a value was refused.
     */
    private static String cardProblem(Exception e) {
        if (e instanceof com.fasterxml.jackson.core.JacksonException json) {
            Throwable cause = json.getCause();
            String what = cause instanceof IllegalArgumentException && cause.getMessage() != null
                    ? cause.getMessage()
                    : json.getOriginalMessage();
            what = what == null ? json.getClass().getSimpleName() : what.strip().split("\\R")[0]
                    .replaceAll("\\s*\\((start marker at )?\\[Source:[^\\]]*\\]\\)", "")
                    .replaceAll("\\s*\\[Source:[^\\]]*\\]", "");
            com.fasterxml.jackson.core.JsonLocation where = json.getLocation();
            return where == null || where.getLineNr() < 1 ? what
                    : what + " at line " + where.getLineNr() + ", column " + where.getColumnNr();
        }
        return e.getMessage();
    }

    private static Path cardPath(Path path) {
        return Files.isDirectory(path) ? path.resolve(CARD_FILE) : path;
    }
}
