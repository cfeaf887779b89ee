package org.parry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.model.SavedModel;

/**
 * {@code parry evaluate} is reproducible: the same seed gives the same report.json apart from
 * timings, and a run killed with SIGKILL and resumed ends with the same report as an
 * uninterrupted one. On an MLP trained on the synthetic data set.
 */
class EvaluateReproducibilityTest {

    /** The only report.json fields that may differ between two runs of the same evaluation. */
    static final Set<String> TIMING_FIELDS = Set.of("seconds", "started_at", "finished_at");

    @TempDir
    static Path shared;
    static Path model;

    @BeforeAll
    static void trainModel() {
        model = CliTest.trainedMlp(shared.resolve("model"), "--width", "32", "--epochs", "2");
    }

    /**
     * The evaluation both tests run: the quick suite (FGSM, PGD-20 and APGD-CE, the last two from
     * seeded random starts) at two ε, in batches of 20.
     */
    static String[] evaluate(Path report, String... more) {
        List<String> args = new ArrayList<>(List.of("evaluate", "--model", model.toString(),
                "--dataset", "synthetic", "--n", "120", "--batch-size", "20", "--seed", "5",
                "--suite", "quick", "--eps", "0.02,0.05",
                "--report", report.toString()));
        args.addAll(List.of(more));
        return args.toArray(new String[0]);
    }

    @Test
    void theSameSeedGivesTheSameReportApartFromTimings(@TempDir Path dir) throws IOException {
        for (String name : List.of("a", "b")) {
            CliTest.Run run = CliTest.parry(evaluate(dir.resolve(name)));
            assertThat(run.exitCode()).as(run.err()).isZero();
        }
        JsonNode a = SavedModel.json().readTree(dir.resolve("a/report.json").toFile());
        JsonNode b = SavedModel.json().readTree(dir.resolve("b/report.json").toFile());
        Set<String> differences = new TreeSet<>();
        diff("", a, b, differences);
        assertThat(differences).as("fields that differ between two runs with seed 5")
                .allMatch(path -> TIMING_FIELDS.contains(path.substring(path.lastIndexOf('.') + 1)));
        // The randomized attacks ran (so their results were compared), and the timings really
        // are the only difference.
        assertThat(a.at("/attacks/2/name").asText()).isEqualTo("apgd-ce");
        assertThat(a.at("/attacks/2/attacked").asInt()).isPositive();
        assertThat(differences).contains(".provenance.started_at");
        assertThat(Files.readAllBytes(dir.resolve("b/results.csv")))
                .isEqualTo(Files.readAllBytes(dir.resolve("a/results.csv")));
    }

    /**
     * A real kill (SIGKILL of a separate JVM) once the journal holds a few units of work, then
     * {@code --resume} in this JVM: it replays the journal, appends the remaining units, and
     * writes the report an uninterrupted run writes.
     */
    @Test
    void aKilledEvaluationResumesToTheReportOfAnUninterruptedOne(@TempDir Path dir)
            throws Exception {
        Path killed = dir.resolve("killed");
        Path log = dir.resolve("killed.log");
        Process process = new ProcessBuilder(javaCommand(evaluate(killed)))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Path journal = killed.resolve("journal.jsonl");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (units(journal) < 3 && process.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        process.destroyForcibly().waitFor();
        byte[] atKill = Files.readAllBytes(journal);
        int done = units(journal);
        assertThat(done).as(Files.readString(log)).isGreaterThanOrEqualTo(3);
        assertThat(killed.resolve("report.json")).as("killed before the end").doesNotExist();

        CliTest.Run resumed = CliTest.parry(evaluate(killed, "--resume"));
        assertThat(resumed.exitCode()).as(resumed.err()).isZero();
        assertThat(units(journal)).as("units after the resume, %d before", done)
                .isGreaterThan(done);
        byte[] complete = Arrays.copyOf(atKill, lastLineEnd(atKill));
        assertThat(Arrays.copyOf(Files.readAllBytes(journal), complete.length))
                .as("the resume kept the journal's complete lines and appended to them")
                .isEqualTo(complete);

        Path uninterrupted = dir.resolve("uninterrupted");
        CliTest.Run straight = CliTest.parry(evaluate(uninterrupted));
        assertThat(straight.exitCode()).as(straight.err()).isZero();
        assertThat(units(journal)).isEqualTo(units(uninterrupted.resolve("journal.jsonl")));
        Set<String> differences = new TreeSet<>();
        diff("", SavedModel.json().readTree(uninterrupted.resolve("report.json").toFile()),
                SavedModel.json().readTree(killed.resolve("report.json").toFile()), differences);
        assertThat(differences).as("fields that differ between the resumed and the uninterrupted run")
                .allMatch(path -> TIMING_FIELDS.contains(path.substring(path.lastIndexOf('.') + 1)));
        assertThat(Files.readAllBytes(killed.resolve("results.csv")))
                .isEqualTo(Files.readAllBytes(uninterrupted.resolve("results.csv")));
    }

    /** Complete unit lines in a journal (its first line is the header; a torn last line is not). */
    private static int units(Path journal) throws IOException {
        if (!Files.exists(journal)) {
            return 0;
        }
        byte[] bytes = Files.readAllBytes(journal);
        int lines = 0;
        for (byte b : bytes) {
            lines += b == '\n' ? 1 : 0;
        }
        return Math.max(0, lines - 1);
    }

    private static int lastLineEnd(byte[] bytes) {
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] != '\n') {
            end--;
        }
        return end;
    }

    /** The command line of a separate JVM running {@code parry} with this test's class path. */
    private static List<String> javaCommand(String[] args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                ParryCommand.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /** Collects the paths (".a.b.0.c") where the two trees differ. */
    static void diff(String path, JsonNode a, JsonNode b, Set<String> differences) {
        if (a.isObject() && b.isObject()) {
            Set<String> names = new TreeSet<>();
            a.fieldNames().forEachRemaining(names::add);
            b.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                JsonNode left = a.get(name);
                JsonNode right = b.get(name);
                if (left == null || right == null) {
                    differences.add(path + "." + name);
                } else {
                    diff(path + "." + name, left, right, differences);
                }
            }
            assertThat(fieldOrder(a)).as("field order at %s", path).isEqualTo(fieldOrder(b));
        } else if (a.isArray() && b.isArray() && a.size() == b.size()) {
            for (int i = 0; i < a.size(); i++) {
                diff(path + "." + i, a.get(i), b.get(i), differences);
            }
        } else if (!a.equals(b)) {
            differences.add(path);
        }
    }

    private static List<String> fieldOrder(JsonNode node) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }
}
