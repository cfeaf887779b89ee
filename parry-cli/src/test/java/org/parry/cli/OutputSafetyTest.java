package org.parry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.cli.CliTest.Run;
import org.parry.io.DirectoryLock;

/**
 * Nothing lost, nothing misreported: outputs of earlier runs are replaced only when asked, a
 * directory is written by one run at a time, and output paths are checked before any work.
 */
class OutputSafetyTest {

    @TempDir
    static Path shared;
    static Path model;

    @BeforeAll
    static void trainModel() {
        model = CliTest.trainedMlp(shared.resolve("model"), "--width", "16", "--epochs", "1",
                "--n", "200");
    }

    private static String[] train(Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("train", "--dataset", "synthetic", "--arch",
                "mlp", "--width", "16", "--epochs", "1", "--n", "200", "--out", out.toString()));
        args.addAll(List.of(more));
        return args.toArray(new String[0]);
    }

    private static String[] evaluate(Path report, String... more) {
        List<String> args = new ArrayList<>(List.of("evaluate", "--model", model.toString(),
                "--dataset", "synthetic", "--n", "20", "--suite", "fgsm", "--eps", "0.05",
                "--report", report.toString()));
        args.addAll(List.of(more));
        return args.toArray(new String[0]);
    }

    @Test
    void trainRefusesToReplaceAModelUnlessTold(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("m");
        assertThat(CliTest.parry(train(out)).exitCode()).isZero();
        byte[] weights = Files.readAllBytes(out.resolve("weights.params"));

        Run again = CliTest.parry(train(out, "--seed", "7"));
        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.err()).startsWith("parry: --out " + out + " holds a trained model")
                .contains("--resume").contains("--overwrite").doesNotContain("\tat ");
        assertThat(Files.readAllBytes(out.resolve("weights.params"))).isEqualTo(weights);

        Run overwritten = CliTest.parry(train(out, "--seed", "7", "--overwrite"));
        assertThat(overwritten.exitCode()).as(overwritten.err()).isZero();
        assertThat(Files.readAllBytes(out.resolve("weights.params"))).isNotEqualTo(weights);

        Run help = CliTest.parry("train", "--help");
        assertThat(help.out().replaceAll("\\s+", " ")).contains("--overwrite")
                .contains("refused unless --resume or --overwrite");
    }

    @Test
    void trainResumeWithoutACheckpointIsAnError(@TempDir Path dir) {
        Path out = dir.resolve("fresh");
        Run resumed = CliTest.parry(train(out, "--resume"));
        assertThat(resumed.exitCode()).isEqualTo(1);
        assertThat(resumed.err()).startsWith("parry: --resume: "
                + out.resolve("checkpoint") + " holds no checkpoint to continue from; run without"
                + " --resume to start a new training");
        assertThat(out.resolve("model.json")).doesNotExist();
    }

    @Test
    void evaluateRefusesToReplaceAnotherEvaluationUnlessTold(@TempDir Path dir) throws IOException {
        Path report = dir.resolve("report");
        Run first = CliTest.parry(evaluate(report));
        assertThat(first.exitCode()).as(first.err()).isZero();
        String json = Files.readString(report.resolve("report.json"));

        Run again = CliTest.parry(evaluate(report, "--eps", "0.1"));
        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.err()).startsWith("parry: --report " + report + " holds another evaluation;"
                + " pass --resume to continue it (same settings), --overwrite to replace it");
        assertThat(Files.readString(report.resolve("report.json"))).isEqualTo(json);

        Run resumed = CliTest.parry(evaluate(report, "--resume"));
        assertThat(resumed.exitCode()).as(resumed.err()).isZero();
        Run overwritten = CliTest.parry(evaluate(report, "--eps", "0.1", "--overwrite"));
        assertThat(overwritten.exitCode()).as(overwritten.err()).isZero();
        assertThat(Files.readString(report.resolve("report.json"))).contains("0.1");
        try (var files = Files.list(report)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .noneMatch(name -> name.endsWith(".tmp"));
        }

        Run help = CliTest.parry("evaluate", "--help");
        assertThat(help.out().replaceAll("\\s+", " ")).contains("--overwrite")
                .contains("refused unless --resume or --overwrite");
    }

    /** A second process finds the report directory locked by this one and says so. */
    @Test
    void aReportDirectoryIsWrittenByOneRunAtATime(@TempDir Path dir) throws Exception {
        Path report = dir.resolve("report");
        try (DirectoryLock held = DirectoryLock.acquire(report, "--report")) {
            Run here = CliTest.parry(evaluate(report));
            assertThat(here.exitCode()).isEqualTo(1);
            String refusal = "parry: --report " + report + " is in use by another parry run (pid "
                    + ProcessHandle.current().pid() + ", started ";
            assertThat(here.err()).startsWith(refusal).contains("wait for it to finish");

            Path log = dir.resolve("second.log");
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                    ParryCommand.class.getName()));
            command.addAll(List.of(evaluate(report)));
            Process second = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            assertThat(second.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(second.exitValue()).as(Files.readString(log)).isEqualTo(1);
            assertThat(Files.readString(log)).startsWith(refusal);
        }
        assertThat(report.resolve("report.json")).doesNotExist();
        Run after = CliTest.parry(evaluate(report));
        assertThat(after.exitCode()).as(after.err()).isZero();
    }

    @Test
    void outputPathsAreCheckedBeforeAnyWork(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("existing_file"), "keep me");
        Run attackOut = CliTest.parry("attack", "--model", model.toString(), "--dataset",
                "synthetic", "--attack", "pgd", "--eps", "0.1", "--n", "20", "--out", file.toString());
        assertThat(attackOut.exitCode()).isEqualTo(1);
        assertThat(attackOut.err()).startsWith("parry: --out " + file + ": is a file, not a directory");
        assertThat(attackOut.out()).isEmpty(); // no attack ran, no summary was printed
        assertThat(attackOut.err()).doesNotContain("success");

        Run jsonDir = CliTest.parry("attack", "--model", model.toString(), "--dataset",
                "synthetic", "--attack", "fgsm", "--eps", "0.1", "--n", "20", "--json", dir.toString());
        assertThat(jsonDir.err()).startsWith("parry: --json " + dir + ": is a directory; give a file name");

        Run jsonExists = CliTest.parry("eval", "--model", model.toString(), "--dataset",
                "synthetic", "--n", "20", "--json", file.toString());
        assertThat(jsonExists.err()).startsWith("parry: --json " + file + ": the file exists; pass"
                + " --overwrite to replace it");
        assertThat(Files.readString(file)).isEqualTo("keep me");

        Path underAFile = file.resolve("results.json");
        Run parentIsFile = CliTest.parry("eval", "--model", model.toString(), "--dataset",
                "synthetic", "--json", underAFile.toString());
        assertThat(parentIsFile.err()).startsWith("parry: --json " + underAFile + ": cannot be"
                + " created, because " + file + " is a file, not a directory");

        Run report = CliTest.parry(evaluate(file));
        assertThat(report.err()).startsWith("parry: --report " + file + ": is a file");
        Run out = CliTest.parry(train(file.resolve("model")));
        assertThat(out.err()).startsWith("parry: --out " + file.resolve("model") + ": cannot be"
                + " created, because " + file + " is a file");

        Path npzDir = dir.resolve("adv");
        Files.createDirectories(npzDir);
        Files.writeString(npzDir.resolve("adversarial.npz"), "an earlier attack");
        Run npzExists = CliTest.parry("attack", "--model", model.toString(), "--dataset",
                "synthetic", "--attack", "fgsm", "--eps", "0.1", "--n", "20", "--out", npzDir.toString());
        assertThat(npzExists.err()).startsWith("parry: --out " + npzDir.resolve("adversarial.npz")
                + ": the file exists; pass --overwrite");
        Run replaced = CliTest.parry("attack", "--model", model.toString(), "--dataset",
                "synthetic", "--attack", "fgsm", "--eps", "0.1", "--n", "20", "--out", npzDir.toString(),
                "--overwrite");
        assertThat(replaced.exitCode()).as(replaced.err()).isZero();
        assertThat(Files.size(npzDir.resolve("adversarial.npz"))).isGreaterThan(100);
    }
}
