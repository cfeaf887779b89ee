package org.parry.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.ParameterList;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parry.data.ImageDataset;
import org.parry.io.NpzWriter;
import org.parry.model.BlockClassifier;
import org.parry.model.Normalization;
import org.parry.model.SavedModel;

/**
 * The Java side of {@code parry-bench/scripts/autoattack_reference.py}, the driver that runs the
 * Python original of AutoAttack (fra31's, Croce and Hein, ICML 2020) on the models Parry attacks:
 * it exports a Parry {@code small-cnn} to TorchScript through the driver, and runs the driver's
 * AutoAttack-standard on points it writes, as a subprocess whose output it relays.
 *
 * <p>Where things are found:
 *
 * <ul>
 *   <li>the driver: in the directory of the system property {@value #SCRIPTS_PROPERTY} ({@code
 *       ./bench} sets it to its own {@code parry-bench/scripts}), else {@code parry-bench/scripts}
 *       under the working directory;
 *   <li>Python: {@code $BENCH_PYTHON}, else {@value #DEFAULT_PYTHON} (Debian's, which has PyTorch
 *       1.13 from {@code apt-get install python3-torch});
 *   <li>AutoAttack: the checkout in {@code $AUTOATTACK_DIR}; else {@value #EXTRACTED} under the
 *       working directory, which is extracted there (its Python files and licence, with the
 *       commit in {@value #COMMIT_FILE}) from the git repository in {@code $AUTOATTACK_GIT}
 *       (default {@value #DEFAULT_GIT}) when that exists. AutoAttack's code is never part of
 *       Parry.
 * </ul>
 */
final class AutoAttackReference {

    static final String SCRIPTS_PROPERTY = "parry.bench.scripts";
    static final String DEFAULT_PYTHON = "/usr/bin/python3";
    static final String EXTRACTED = "runs/bench/auto-attack";
    static final String DEFAULT_GIT = "/work/.mirror/fra31+auto-attack/repo";
    static final String COMMIT_FILE = "COMMIT";
    private static final String DRIVER = "autoattack_reference.py";
    private static final String HOW_TO_GET = "autoattack-robust needs fra31's AutoAttack: git clone"
            + " https://github.com/fra31/auto-attack DIR and set AUTOATTACK_DIR=DIR (or"
            + " AUTOATTACK_GIT to a git repository of it, extracted into " + EXTRACTED + ")";
    /** small-cnn's parameters in DJL's order, as the driver names them. */
    private static final List<String> SMALL_CNN_PARAMETERS = List.of("conv1_weight",
            "conv1_bias", "conv2_weight", "conv2_bias", "fc1_weight", "fc1_bias", "fc2_weight",
            "fc2_bias");

    private final Path driver;
    private final String python;
    private final Path autoAttack;
    private final String commit;
    private final PrintStream out;

    private AutoAttackReference(Path driver, String python, Path autoAttack, String commit,
            PrintStream out) {
        this.driver = driver;
        this.python = python;
        this.autoAttack = autoAttack;
        this.commit = commit;
        this.out = out;
    }

    /**
     * Finds the driver, Python and AutoAttack, extracting AutoAttack from its git repository
     * first if needed.
     *
     * @param out where the driver's output is relayed
     * @throws IllegalStateException with one line saying what is missing and how to get it
     */
    static AutoAttackReference locate(PrintStream out) throws IOException, InterruptedException {
        Path scripts = Path.of(System.getProperty(SCRIPTS_PROPERTY, "parry-bench/scripts"));
        Path driver = scripts.resolve(DRIVER).toAbsolutePath();
        if (!Files.isRegularFile(driver)) {
            throw new IllegalStateException("no " + driver + ": run the benchmark through ./bench,"
                    + " or from the repository's root");
        }
        String python = System.getenv().getOrDefault("BENCH_PYTHON", DEFAULT_PYTHON);
        if (!Files.isExecutable(Path.of(python))) {
            throw new IllegalStateException("no Python at " + python + ": apt-get install"
                    + " python3-torch, or set BENCH_PYTHON to a Python that has PyTorch");
        }
        String given = System.getenv("AUTOATTACK_DIR");
        Path directory = Path.of(given != null ? given : EXTRACTED).toAbsolutePath();
        if (!hasAutoAttack(directory)) {
            if (given != null) {
                throw new IllegalStateException("AUTOATTACK_DIR=" + given + " holds no"
                        + " autoattack/autoattack.py; " + HOW_TO_GET);
            }
            Path git = Path.of(System.getenv().getOrDefault("AUTOATTACK_GIT", DEFAULT_GIT));
            if (!Files.isDirectory(git)) {
                throw new IllegalStateException(HOW_TO_GET);
            }
            extract(git, directory, out);
        }
        Path commitFile = directory.resolve(COMMIT_FILE);
        String commit;
        if (Files.isRegularFile(commitFile)) {
            commit = Files.readString(commitFile).trim();
        } else if (Files.exists(directory.resolve(".git"))) {
            commit = command(List.of("git", "-C", directory.toString(), "rev-parse", "HEAD"), null)
                    .get(0);
        } else {
            commit = "unknown (" + directory + ")";
        }
        return new AutoAttackReference(driver, python, directory, commit, out);
    }

    /**
     * The AutoAttack commit the driver runs: recorded at extraction, or a checkout's HEAD, or
     * "unknown (DIR)".
     */
    String commit() {
        return commit;
    }

    /**
     * Writes {@code model}'s weights and normalization, has the driver rebuild it in PyTorch and
     * trace it, and returns the TorchScript file.
     *
     * @param savedModel the model's directory (its card holds the normalization)
     * @param work where the weights and the TorchScript file go
     */
    Path export(BlockClassifier model, Path savedModel, Path work)
            throws IOException, InterruptedException {
        ParameterList parameters = model.block().getParameters();
        if (!model.name().equals("small-cnn") || parameters.size() != SMALL_CNN_PARAMETERS.size()) {
            throw new IllegalArgumentException("the driver rebuilds small-cnn only; got '"
                    + model.name() + "' with " + parameters.size() + " parameters");
        }
        Normalization normalization = SavedModel.readCard(savedModel).normalization();
        Path weights = work.resolve("weights.npz");
        try (NpzWriter npz = NpzWriter.create(weights)) {
            npz.writeFloat32("mean", normalization.mean(), normalization.mean().length);
            npz.writeFloat32("std", normalization.std(), normalization.std().length);
            for (int i = 0; i < parameters.size(); i++) {
                NDArray array = parameters.get(i).getValue().getArray();
                npz.writeFloat32(SMALL_CNN_PARAMETERS.get(i), array.toFloatArray(),
                        array.getShape().getShape());
            }
        }
        Path pt = work.resolve("model.pt");
        run(List.of("export", weights.toString(), pt.toString()));
        return pt;
    }

    /** Writes the points (x float32 [N, C, H, W], y int64 [N]) for {@link #attack}. */
    static Path writePoints(ImageDataset data, Path file) throws IOException {
        int pixels = data.channels() * data.height() * data.width();
        float[] x = new float[data.size() * pixels];
        for (int i = 0; i < data.size(); i++) {
            System.arraycopy(data.image(i), 0, x, i * pixels, pixels);
        }
        try (NpzWriter npz = NpzWriter.create(file)) {
            npz.writeFloat32("x", x, data.size(), data.channels(), data.height(), data.width());
            npz.writeInt64("y", data.labels(), data.size());
        }
        return file;
    }

    /**
     * Runs fra31's AutoAttack-standard (L∞) on the TorchScript model and the points with the
     * driver, which checks its own counts against AutoAttack's (see the driver's documentation).
     *
     * @return the driver's result: per attack name, attacked, broken, robust_accuracy_after,
     *     gradients, queries, seconds; and seconds, setup_seconds, clean_accuracy,
     *     robust_accuracy, torch, threads
     */
    Map<String, Object> attack(Path model, Path points, float epsilon, int batch, long seed,
            int threads, Path work) throws IOException, InterruptedException {
        Path result = work.resolve("fra31.json");
        Files.deleteIfExists(result);
        run(List.of("attack", "--autoattack-dir", autoAttack.toString(), "--model",
                model.toString(), "--points", points.toString(), "--epsilon",
                Float.toString(epsilon), "--batch", Integer.toString(batch), "--seed",
                Long.toString(seed), "--threads", Integer.toString(threads), "--log",
                work.resolve("fra31.log").toString(), "--out", result.toString()));
        return SavedModel.json().readValue(result.toFile(),
                new TypeReference<LinkedHashMap<String, Object>>() {});
    }

    private static boolean hasAutoAttack(Path directory) {
        return Files.isRegularFile(directory.resolve("autoattack/autoattack.py"));
    }

    /**
     * Extracts AutoAttack's Python files and licence at the repository's HEAD (its large example
     * files may be absent from a mirror, so they are left out) and records the commit.
     */
    private static void extract(Path git, Path directory, PrintStream out)
            throws IOException, InterruptedException {
        out.println("  extracting fra31's AutoAttack from " + git + " into " + directory);
        Files.createDirectories(directory);
        Path tar = Files.createTempFile("auto-attack", ".tar");
        try {
            command(List.of("git", "--git-dir=" + git, "archive", "--output=" + tar, "HEAD", "--",
                    ":(glob)autoattack/*.py", "LICENSE"), null);
            command(List.of("tar", "-xf", tar.toString(), "-C", directory.toString()), null);
        } finally {
            Files.deleteIfExists(tar);
        }
        String commit = command(List.of("git", "--git-dir=" + git, "rev-parse", "HEAD"), null)
                .get(0);
        Files.writeString(directory.resolve(COMMIT_FILE), commit + "\n");
    }

    private void run(List<String> arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(python, "-u", driver.toString()));
        command.addAll(arguments);
        command(command, out);
    }

    /**
     * Runs a command, relaying its output (stdout and stderr) to {@code relay} with an indent
     * when given; returns the output's lines.
     *
     * @throws IllegalStateException when it exits with a non-zero status, with its last line
     */
    private static List<String> command(List<String> command, PrintStream relay)
            throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lines.add(line);
                if (relay != null) {
                    relay.println("    | " + line);
                }
            }
        }
        int status = process.waitFor();
        if (status != 0) {
            throw new IllegalStateException(String.join(" ", command.subList(0,
                    Math.min(3, command.size()))) + "... exited with status " + status
                    + (lines.isEmpty() ? "" : ": " + lines.get(lines.size() - 1)));
        }
        return lines;
    }
}
