package org.parry.leaderboard;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import org.parry.model.GradientMode;
import org.parry.model.ModelSource;
import org.parry.model.SavedModel;

/**
 * Reads the models of a leaderboard from what a user points at:
 * <ul>
 *   <li>a directory of models: every entry not starting with {@code .} must be a Parry model
 *       directory (with {@value SavedModel#CARD_FILE}), a TorchScript file ({@code .pt},
 *       {@code .pth}, {@code .torchscript}) or an ONNX file ({@code .onnx}); each is named after its
 *       file (without the extension);
 *   <li>a list file ({@code .txt}): one model per line, {@code #} starts a comment, a line is
 *       {@code PATH [--name NAME] [--defense SPEC]... [--gradients exact|bpda] [--eot N]}, with
 *       PATH relative to the list's directory;
 *   <li>one or more model paths.
 * </ul>
 */
public final class Contenders {

    private static final String KINDS = "a Parry model directory (with " + SavedModel.CARD_FILE
            + "), a TorchScript file (.pt, .pth, .torchscript) or an ONNX file (.onnx)";

    private Contenders() {}

    /**
     * @param paths a directory of models, a list file, or model paths
     * @param seed seeds the randomness of defenses given in a list file
     * @throws IllegalArgumentException for an empty directory or list, an entry of unknown kind,
     *     a malformed line, two models of one name
     */
    public static List<Contender> read(List<Path> paths, long seed) throws IOException {
        if (paths.isEmpty()) {
            throw new IllegalArgumentException("--models needs a directory of models, a list file"
                    + " (.txt) or model paths");
        }
        List<Contender> contenders = new ArrayList<>();
        Path only = paths.get(0);
        if (paths.size() == 1 && Files.isDirectory(only) && !SavedModel.isSavedModel(only)) {
            contenders.addAll(directory(only));
        } else if (paths.size() == 1 && Files.isRegularFile(only) && isList(only)) {
            contenders.addAll(list(only, seed));
        } else {
            for (Path path : paths) {
                contenders.add(bare(path));
            }
        }
        Set<String> names = new HashSet<>();
        for (Contender contender : contenders) {
            if (!names.add(contender.name())) {
                throw new IllegalArgumentException("two models are named '" + contender.name()
                        + "'; give each a name of its own (--name NAME in a list file)");
            }
        }
        return List.copyOf(contenders);
    }

    private static List<Contender> directory(Path directory) throws IOException {
        List<Path> entries;
        try (Stream<Path> listing = Files.list(directory)) {
            entries = listing.filter(path -> !path.getFileName().toString().startsWith("."))
                    .sorted().toList();
        }
        if (entries.isEmpty()) {
            throw new IllegalArgumentException(directory + " holds no models: put " + KINDS
                    + " in it, or give a list file");
        }
        List<Contender> contenders = new ArrayList<>();
        for (Path entry : entries) {
            contenders.add(bare(entry));
        }
        return contenders;
    }

    private static List<Contender> list(Path file, long seed) throws IOException {
        List<Contender> contenders = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int number = 1; number <= lines.size(); number++) {
            String line = lines.get(number - 1).replaceFirst("#.*", "").trim();
            if (!line.isEmpty()) {
                contenders.add(line(file, number, line.split("\\s+"), seed));
            }
        }
        if (contenders.isEmpty()) {
            throw new IllegalArgumentException(file + " lists no models: write one path per line");
        }
        return contenders;
    }

    private static Contender line(Path file, int number, String[] words, long seed)
            throws IOException {
        Path path = file.toAbsolutePath().getParent().resolve(words[0]).normalize();
        String name = null;
        List<String> defense = new ArrayList<>();
        GradientMode gradients = GradientMode.EXACT;
        int eot = 1;
        for (int i = 1; i < words.length; i += 2) {
            if (i + 1 >= words.length) {
                throw new IllegalArgumentException(file + ":" + number + ": " + words[i]
                        + " needs a value");
            }
            String value = words[i + 1];
            switch (words[i]) {
                case "--name" -> name = value;
                case "--defense" -> defense.add(value);
                case "--gradients" -> gradients = GradientMode.parse(value);
                case "--eot" -> eot = parseEot(file, number, value);
                default -> throw new IllegalArgumentException(file + ":" + number + ": unknown"
                        + " option '" + words[i] + "'; a line is PATH [--name NAME] [--defense SPEC]"
                        + "... [--gradients exact|bpda] [--eot N]");
            }
        }
        String kind = kind(path);
        return new Contender(name == null ? defaultName(path) : name, kind,
                new ModelSource(path.toString(), defense, gradients, eot, seed));
    }

    private static int parseEot(Path file, int number, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ":" + number + ": --eot takes a whole number,"
                    + " got '" + value + "'");
        }
    }

    private static Contender bare(Path path) throws IOException {
        return new Contender(defaultName(path), kind(path), ModelSource.of(path));
    }

    /** The model kind of {@code path}, by what it is (a directory with a card) or its extension. */
    static String kind(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "no such model");
        }
        if (SavedModel.isSavedModel(path)) {
            return Contender.PARRY;
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (Files.isRegularFile(path) && name.endsWith(".onnx")) {
            return Contender.ONNX;
        }
        if (Files.isRegularFile(path) && (name.endsWith(".pt") || name.endsWith(".pth")
                || name.endsWith(".torchscript"))) {
            return Contender.TORCHSCRIPT;
        }
        throw new IllegalArgumentException(path + ": unknown model kind: expected " + KINDS
                + "; move other files out of the models' directory");
    }

    private static boolean isList(Path path) {
        return path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".txt");
    }

    private static String defaultName(Path path) {
        Path file = SavedModel.isSavedModel(path) && Files.isRegularFile(path) ? path.getParent()
                : path;
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return Files.isRegularFile(file) && dot > 0 ? name.substring(0, dot) : name;
    }
}
