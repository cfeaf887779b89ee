package org.parry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.cli.CliTest.Run;
import org.parry.model.SavedModel;

/** {@code parry attack} end to end on the synthetic data set and a tiny MLP trained here. */
class AttackCommandTest {

    private static final Path PYTHON = Path.of("/usr/bin/python3");

    @TempDir
    static Path shared;

    private static Path model;

    @BeforeAll
    static void trainTinyModel() {
        model = shared.resolve("mlp");
        Run train = CliTest.parry("train", "--dataset", "synthetic", "--arch", "mlp", "--width", "32",
                "--epochs", "1", "--out", model.toString());
        assertThat(train.exitCode()).as(train.err()).isZero();
    }

    @Test
    void fgsmWritesJsonNpzAndGallery(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("fgsm.json");
        Path out = dir.resolve("out");
        Run run = attack("--attack", "fgsm", "--eps", "0.1", "--n", "200", "--batch-size", "64",
                "--json", json.toString(), "--out", out.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("attack fgsm").contains("epsilon=0.1").contains("clean accuracy")
                .contains("robust accuracy").contains("success rate").contains("gradients");
        assertThat(run.err()).contains("attack").contains("success");

        JsonNode results = SavedModel.json().readTree(json.toFile());
        assertThat(results.get("n").asInt()).isEqualTo(200);
        JsonNode attack = results.get("attack");
        assertThat(attack.get("name").asText()).isEqualTo("fgsm");
        assertThat(attack.get("settings").get("epsilon").asDouble()).isCloseTo(0.1, within(1e-7));
        assertThat(attack.get("settings").get("norm").asText()).isEqualTo("linf");
        assertThat(attack.get("settings").get("loss").asText()).isEqualTo("ce");
        double clean = results.get("clean_accuracy").asDouble();
        double robust = results.get("robust_accuracy").asDouble();
        assertThat(clean).isGreaterThan(0.5);
        assertThat(robust).isBetween(0.0, clean);
        assertThat(results.get("robust_accuracy_stderr").asDouble())
                .isCloseTo(Math.sqrt(robust * (1 - robust) / 200), within(1e-12));
        int denominator = results.get("success_denominator").asInt();
        assertThat(denominator).isEqualTo((int) Math.round(clean * 200));
        int successes = results.get("successes").asInt();
        assertThat(results.get("success_rate").asDouble())
                .isCloseTo((double) successes / denominator, within(1e-12));
        // Every clean-correct sample is either robust or a success.
        assertThat(successes + (int) Math.round(robust * 200)).isEqualTo(denominator);
        assertThat(results.get("gradients").asLong()).isEqualTo(200);
        assertThat(results.get("seconds").asDouble()).isPositive();
        for (String key : List.of("perturbation", "queries", "adversarial_accuracy")) {
            assertThat(results.has(key)).as(key).isTrue();
        }
        if (successes > 0) {
            JsonNode linf = results.get("perturbation").get("linf");
            assertThat(linf.get("max").asDouble()).isLessThanOrEqualTo(0.1 + 1e-6);
            assertThat(linf.get("median").asDouble()).isLessThanOrEqualTo(linf.get("max").asDouble());
            JsonNode l2 = results.get("perturbation").get("l2");
            assertThat(l2.get("mean").asDouble()).isPositive().isLessThanOrEqualTo(0.1 * 28 + 1e-4);
        }

        Map<String, byte[]> npz = entries(out.resolve("adversarial.npz"));
        assertThat(npz.keySet()).contains("x_adv.npy", "x_clean.npy", "y.npy", "pred_clean.npy",
                "pred_adv.npy", "success.npy", "l2.npy", "linf.npy", "l0.npy");
        assertThat(header(npz.get("x_adv.npy"))).contains("'<f4'").contains("(200, 1, 28, 28)");
        assertThat(header(npz.get("y.npy"))).contains("'<i8'").contains("(200,)");
        assertThat(header(npz.get("success.npy"))).contains("'|b1'");
        ByteBuffer adversarial = data(npz.get("x_adv.npy"));
        ByteBuffer original = data(npz.get("x_clean.npy"));
        assertThat(adversarial.remaining()).isEqualTo(200 * 784 * 4);
        float maxChange = 0;
        while (adversarial.hasRemaining()) {
            float a = adversarial.getFloat();
            assertThat(a).isBetween(0f, 1f);
            maxChange = Math.max(maxChange, Math.abs(a - original.getFloat()));
        }
        assertThat(maxChange).isLessThanOrEqualTo(0.1f + 1e-6f).isGreaterThan(0f);
        ByteBuffer success = data(npz.get("success.npy"));
        int counted = 0;
        while (success.hasRemaining()) {
            counted += success.get();
        }
        assertThat(counted).isEqualTo(successes);

        BufferedImage gallery = ImageIO.read(out.resolve("gallery.png").toFile());
        assertThat(gallery.getWidth()).isGreaterThanOrEqualTo(8 * 84);
        assertThat(gallery.getHeight()).isGreaterThanOrEqualTo(2 * 3 * 84);

        if (hasNumpy()) {
            String check = String.join("\n",
                    "import sys, numpy as np",
                    "d = np.load(sys.argv[1])",
                    "x, c, y = d['x_adv'], d['x_clean'], d['y']",
                    "assert x.dtype == np.float32 and x.shape == (200, 1, 28, 28), x.shape",
                    "assert y.dtype == np.int64 and y.shape == (200,)",
                    "assert d['success'].dtype == np.bool_",
                    "assert np.abs(x - c).max() <= 0.1 + 1e-6",
                    "assert np.allclose(np.abs(x - c).reshape(200, -1).max(1), d['linf'], atol=1e-6)",
                    "robust = ((d['pred_clean'] == y) & (d['pred_adv'] == y)).mean()",
                    "print(float(robust), int(d['success'].sum()))");
            String[] numbers = python(check, out.resolve("adversarial.npz").toString()).split(" ");
            assertThat(Double.parseDouble(numbers[0])).isCloseTo(robust, within(1e-12));
            assertThat(Integer.parseInt(numbers[1])).isEqualTo(successes);
        }
    }

    @Test
    void settingsTargetsAndL2(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("pgd.json");
        Run pgd = attack("--attack", "pgd", "--norm", "l2", "--eps", "1.5", "--steps", "10",
                "--n", "100", "pgd.restarts=2", "pgd.stepSize=0.5", "--json", json.toString());
        assertThat(pgd.exitCode()).as(pgd.err()).isZero();
        JsonNode results = SavedModel.json().readTree(json.toFile());
        JsonNode settings = results.get("attack").get("settings");
        assertThat(settings.get("norm").asText()).isEqualTo("l2");
        assertThat(settings.get("restarts").asInt()).isEqualTo(2);
        assertThat(settings.get("steps").asInt()).isEqualTo(10);
        assertThat(settings.get("stepSize").asDouble()).isEqualTo(0.5);
        assertThat(settings.has("randomStart")).as("defaults are listed too").isTrue();
        assertThat(results.get("robust_accuracy").asDouble())
                .isLessThanOrEqualTo(results.get("clean_accuracy").asDouble());
        if (results.get("successes").asInt() > 0) {
            assertThat(results.get("perturbation").get("l2").get("max").asDouble())
                    .isLessThanOrEqualTo(1.5 + 1e-5);
        }

        Path targetedJson = dir.resolve("targeted.json");
        Path out = dir.resolve("targeted");
        Run targeted = attack("--attack", "pgd", "--eps", "0.5", "--n", "50", "--targeted",
                "--target-mode", "next", "--json", targetedJson.toString(), "--out", out.toString());
        assertThat(targeted.exitCode()).as(targeted.err()).isZero();
        assertThat(targeted.out()).contains("targeted success");
        JsonNode targetedResults = SavedModel.json().readTree(targetedJson.toFile());
        assertThat(targetedResults.get("attack").get("targeted").asBoolean()).isTrue();
        assertThat(targetedResults.get("attack").get("target_mode").asText()).isEqualTo("next");
        assertThat(targetedResults.get("success_denominator").asInt())
                .as("next never equals the label").isEqualTo(50);
        Map<String, byte[]> npz = entries(out.resolve("adversarial.npz"));
        ByteBuffer y = data(npz.get("y.npy"));
        ByteBuffer target = data(npz.get("target.npy"));
        ByteBuffer predicted = data(npz.get("pred_adv.npy"));
        ByteBuffer success = data(npz.get("success.npy"));
        int hits = 0;
        while (y.hasRemaining()) {
            long label = y.getLong();
            long aim = target.getLong();
            assertThat(aim).isEqualTo((label + 1) % 10);
            boolean hit = predicted.getLong() == aim;
            assertThat(success.get() == 1).isEqualTo(hit);
            hits += hit ? 1 : 0;
        }
        assertThat(targetedResults.get("successes").asInt()).isEqualTo(hits);

        Run random = attack("--attack", "fgsm", "--eps", "0.3", "--n", "50", "--targeted");
        assertThat(random.exitCode()).as(random.err()).isZero();
        assertThat(random.out()).contains("random targets");
    }

    @Test
    void minimumNormAttacksNeedNoEpsilonAndRefuseTargets(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("deepfool.json");
        Run deepfool = attack("--attack", "deepfool", "--norm", "l2", "--n", "50", "--json",
                json.toString());
        assertThat(deepfool.exitCode()).as(deepfool.err()).isZero();
        JsonNode results = SavedModel.json().readTree(json.toFile());
        assertThat(results.get("attack").get("name").asText()).isEqualTo("deepfool");
        assertThat(results.get("robust_accuracy").asDouble())
                .isLessThanOrEqualTo(results.get("clean_accuracy").asDouble());

        assertOneLineError(attack("--attack", "deepfool", "--n", "10", "--targeted"), "untargeted");
    }

    @Test
    void configurationErrorsAreOneLine() {
        assertOneLineError(attack("--attack", "nope", "--eps", "0.1"),
                "unknown attack 'nope'", "pgd");
        assertOneLineError(attack("--attack", "fgsm", "--eps", "0.1", "fgsm.bogus=1"),
                "has no setting bogus", "epsilon");
        assertOneLineError(attack("--attack", "fgsm", "--eps", "0.1", "pgd.restarts=2"),
                "for attack 'pgd'", "fgsm.restarts=2");
        assertOneLineError(attack("--attack", "fgsm", "--eps", "0.1", "restarts"),
                "must look like fgsm.key=value");
        assertOneLineError(attack("--attack", "fgsm", "--eps", "2"), "out of range");
        assertOneLineError(attack("--attack", "pgd", "--eps", "-0.1"), "--eps must be >= 0", "-0.1");
        assertOneLineError(attack("--attack", "fgsm"), "needs an epsilon", "--eps");
        assertOneLineError(attack("--attack", "fgsm", "--eps", "0.1", "--black-box"),
                "no gradients", "white-box");
        assertOneLineError(attack("--attack", "fgsm", "--eps", "0.1", "--norm", "l2"),
                "attack 'fgsm' attacks in linf only, not l2", "remove --norm");
        assertOneLineError(attack("--attack", "deepfool", "--eps", "0.1"),
                "attack 'deepfool' has no epsilon (it finds minimal perturbations); remove --eps");
        assertOneLineError(attack("--attack", "fgsm", "--eps", "0.1", "--steps", "5"),
                "attack 'fgsm' has no steps", "remove --steps");
        assertOneLineError(attack("--attack", "fgsm", "--eps", "0.1", "--target-mode", "next"),
                "needs --targeted");
        assertOneLineError(attack("--attack", "fgsm", "--eps", "0.1", "--targeted",
                "--target-mode", "far"), "unknown --target-mode 'far'");
    }

    /** Invalid steps are named as the user gave them, before anything is derived from them. */
    @Test
    void invalidStepsAreNamedNotMistakenForAMissingSetting() {
        Run setting = attack("--attack", "pgd", "--eps", "0.1", "--n", "10", "pgd.steps=-1");
        assertThat(setting.exitCode()).isEqualTo(1);
        assertThat(setting.err()).startsWith("parry: pgd.steps must be >= 1, got -1\n")
                .doesNotContain("has no setting");
        Run option = attack("--attack", "pgd", "--eps", "0.1", "--n", "10", "--steps", "0");
        assertThat(option.exitCode()).isEqualTo(1);
        assertThat(option.err()).startsWith("parry: --steps must be >= 1, got 0\n")
                .doesNotContain("stepSize").doesNotContain("Infinity");
        Run bim = attack("--attack", "bim", "--eps", "0.1", "--n", "10", "--steps", "0");
        assertThat(bim.err()).startsWith("parry: --steps must be >= 1, got 0\n");
        Run twice = attack("--attack", "pgd", "--eps", "0.1", "--steps", "5", "pgd.steps=7");
        assertThat(twice.err()).startsWith("parry: steps are given twice");
        Run eps = attack("--attack", "pgd", "pgd.epsilon=-0.1");
        assertThat(eps.err()).startsWith("parry: pgd.epsilon must be >= 0, got -0.1\n");

        Run valid = attack("--attack", "pgd", "--eps", "0.1", "--n", "10", "pgd.steps=3");
        assertThat(valid.exitCode()).as(valid.err()).isZero();
        assertThat(valid.out()).contains("steps=3");
    }

    private static Run attack(String... args) {
        String[] all = new String[args.length + 5];
        all[0] = "attack";
        all[1] = "--model";
        all[2] = model.toString();
        all[3] = "--dataset";
        all[4] = "synthetic";
        System.arraycopy(args, 0, all, 5, args.length);
        return CliTest.parry(all);
    }

    private static void assertOneLineError(Run run, String... fragments) {
        assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
        String[] lines = run.err().strip().split("\n");
        assertThat(lines).as(run.err()).hasSize(2);
        assertThat(lines[0]).startsWith("parry: ").contains(fragments);
        assertThat(lines[1]).contains("--verbose");
    }

    private static Map<String, byte[]> entries(Path file) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(file); ZipInputStream zip = new ZipInputStream(in)) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                zip.transferTo(bytes);
                entries.put(entry.getName(), bytes.toByteArray());
            }
        }
        return entries;
    }

    /** The .npy header dict, after checking the magic, version 1.0 and 64-byte alignment. */
    private static String header(byte[] npy) {
        assertThat(new String(npy, 1, 5, StandardCharsets.US_ASCII)).isEqualTo("NUMPY");
        assertThat(npy[0]).isEqualTo((byte) 0x93);
        assertThat(npy[6]).isEqualTo((byte) 1);
        assertThat(npy[7]).isEqualTo((byte) 0);
        int length = headerLength(npy);
        assertThat((10 + length) % 64).isZero();
        return new String(npy, 10, length, StandardCharsets.US_ASCII);
    }

    private static ByteBuffer data(byte[] npy) {
        int start = 10 + headerLength(npy);
        return ByteBuffer.wrap(npy, start, npy.length - start).slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    private static int headerLength(byte[] npy) {
        return ByteBuffer.wrap(npy, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xFFFF;
    }

    private static boolean hasNumpy() throws IOException, InterruptedException {
        if (!Files.isExecutable(PYTHON)) {
            return false;
        }
        Process process = new ProcessBuilder(PYTHON.toString(), "-c", "import numpy")
                .redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        return process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0;
    }

    private static String python(String script, String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of(PYTHON.toString(), "-c", script));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output.strip();
    }
}
