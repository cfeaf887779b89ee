package org.parry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.cli.CliTest.Run;
import org.parry.model.SavedModel;

/**
 * {@code parry detect fit|score|evaluate} end to end, on a Parry model and a TorchScript model: a
 * detector is fitted and saved, scores a split and the examples {@code parry attack} wrote, and
 * is evaluated against oblivious and detector-aware attacks; every mistake is a one-line error.
 */
class DetectCommandTest {

    @TempDir
    static Path shared;

    private static Path model;
    private static Path detector;

    @BeforeAll
    static void trainAndFit() {
        model = CliTest.trainedMlp(shared.resolve("mlp"));
        detector = shared.resolve("softmax");
        Run fit = CliTest.parry("detect", "fit", "--model", model.toString(), "--dataset",
                "synthetic", "--detector", "max-softmax", "--fit-images", "300",
                "--validation-images", "500", "--fpr", "0.05", "--out", detector.toString());
        assertThat(fit.exitCode()).as(fit.err()).isZero();
        assertThat(fit.out()).contains("max-softmax fitted for").contains("at FPR 0.05 on 500"
                + " held-out images");
    }

    private static void assertClearError(Run run, String... parts) {
        assertThat(run.exitCode()).as(run.out()).isNotZero();
        assertThat(run.err()).contains(parts).doesNotContain("\tat ");
    }

    @Test
    void aFittedDetectorHasACardAndScoresASplitAndAnAttacksExamples(@TempDir Path dir)
            throws IOException {
        JsonNode card = SavedModel.json().readTree(detector.resolve("detector.json").toFile());
        assertThat(card.get("detector").asText()).isEqualTo("max-softmax");
        assertThat(card.get("falsePositiveRate").asDouble()).isEqualTo(0.05);
        assertThat(card.get("validationImages").asInt()).isEqualTo(500);
        Path json = dir.resolve("clean.json");
        Run clean = CliTest.parry("detect", "score", "--model", model.toString(), "--dataset",
                "synthetic", "--n", "400", "--detector", detector.toString(), "--json",
                json.toString());
        assertThat(clean.exitCode()).as(clean.err()).isZero();
        JsonNode scores = SavedModel.json().readTree(json.toFile()).get("detectors").get(0);
        assertThat(scores.get("scores")).hasSize(400);
        int flaggedClean = 0;
        for (JsonNode flag : scores.get("flagged")) {
            flaggedClean += flag.asBoolean() ? 1 : 0;
        }
        Path attack = dir.resolve("attack");
        Run pgd = CliTest.parry("attack", "--model", model.toString(), "--dataset", "synthetic",
                "--n", "400", "--attack", "fgsm", "--eps", "0.1", "--out", attack.toString());
        assertThat(pgd.exitCode()).as(pgd.err()).isZero();
        Path advJson = dir.resolve("adv.json");
        Run adversarial = CliTest.parry("detect", "score", "--model", model.toString(),
                "--detector", detector.toString(), "--npz", attack.resolve("adversarial.npz")
                .toString(), "--json", advJson.toString());
        assertThat(adversarial.exitCode()).as(adversarial.err()).isZero();
        assertThat(adversarial.out()).contains("400 inputs of").contains("any detector flags");
        int flaggedAdversarial = 0;
        for (JsonNode flag : SavedModel.json().readTree(advJson.toFile()).get("detectors").get(0)
                .get("flagged")) {
            flaggedAdversarial += flag.asBoolean() ? 1 : 0;
        }
        System.err.printf("max-softmax flags %d of 400 clean and %d of 400 FGSM inputs%n",
                flaggedClean, flaggedAdversarial);
        assertThat(flaggedClean).as("about 5% of clean inputs").isBetween(5, 45);
        assertThat(flaggedAdversarial).isGreaterThan(flaggedClean + 40);
    }

    @Test
    void evaluateReportsObliviousAndAdaptiveAttacks(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("detection");
        Run run = CliTest.parry("detect", "evaluate", "--model", model.toString(), "--dataset",
                "synthetic", "--n", "200", "--detector", detector.toString(), "--attack",
                "fgsm,pgd", "--adaptive", "pgd", "--eps", "0.15", "--out", out.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("max-softmax").contains("oblivious").contains("adaptive");
        assertThat(out.resolve("detection.csv")).exists();
        JsonNode results = SavedModel.json().readTree(out.resolve("detection.json").toFile())
                .get("results");
        assertThat(results).hasSize(3);
        JsonNode oblivious = results.get(1);
        JsonNode adaptive = results.get(2);
        assertThat(oblivious.get("attack").asText()).isEqualTo("pgd");
        assertThat(adaptive.get("mode").asText()).isEqualTo("adaptive");
        System.err.print(run.out());
        assertThat(adaptive.get("guarded_accuracy").asDouble())
                .isLessThan(oblivious.get("guarded_accuracy").asDouble());
        Run again = CliTest.parry("detect", "evaluate", "--model", model.toString(), "--dataset",
                "synthetic", "--n", "50", "--detector", detector.toString(), "--attack", "fgsm",
                "--adaptive", "none", "--out", out.toString());
        assertClearError(again, "detection.json", "--overwrite");
    }

    @Test
    void evaluateWithDetectorsPutsADetectionSectionInTheReport(@TempDir Path dir)
            throws IOException {
        Path report = dir.resolve("report");
        Run run = CliTest.parry("evaluate", "--model", model.toString(), "--dataset", "synthetic",
                "--n", "100", "--suite", "fgsm,pgd", "--sanity", "off", "--report",
                report.toString(), "--detector", detector.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode detection = SavedModel.json().readTree(report.resolve("report.json").toFile())
                .get("detection");
        assertThat(detection.get("results")).hasSize(3); // fgsm, pgd oblivious; pgd adaptive
        assertThat(detection.get("results").get(2).get("mode").asText()).isEqualTo("adaptive");
        assertThat(report.resolve("detection.csv")).exists();
        assertThat(Files.readString(report.resolve("index.html"))).contains("max-softmax")
                .contains("adaptive");
    }

    @Test
    void aTorchScriptModelGetsADetectorToo(@TempDir Path dir) throws IOException,
            URISyntaxException {
        Path fixtures = Paths.get(DetectCommandTest.class.getResource("/torchscript/expected.json")
                .toURI()).getParent();
        String cnn = fixtures.resolve("plain_cnn.pt").toString();
        Path fitted = dir.resolve("ts");
        Run fit = CliTest.parry("detect", "fit", "--model", cnn, "--dataset", "mnist",
                "--data-dir", fixtures.toString(), "--split", "test", "--detector",
                "max-softmax", "--fit-images", "50", "--validation-images", "50", "--out",
                fitted.toString());
        assertThat(fit.exitCode()).as(fit.err()).isZero();
        Run evaluate = CliTest.parry("detect", "evaluate", "--model", cnn, "--dataset", "mnist",
                "--data-dir", fixtures.toString(), "--detector", fitted.toString(), "--attack",
                "fgsm,deepfool", "--adaptive", "pgd", "--eps", "0.2", "--out", dir.resolve("out")
                .toString());
        assertThat(evaluate.exitCode()).as(evaluate.err()).isZero();
        assertThat(Files.exists(dir.resolve("out").resolve("detection.json"))).isTrue();
        // the detector of the MLP is refused for the CNN
        assertClearError(CliTest.parry("detect", "score", "--model", cnn, "--dataset", "mnist",
                "--data-dir", fixtures.toString(), "--detector", detector.toString()),
                "was fitted for model", "fit a detector for this model");
    }

    @Test
    void aSupervisedDetectorLearnsFromATrainingAttackOnAModelWithDropout(@TempDir Path dir)
            throws IOException {
        Path cnn = dir.resolve("cnn");
        Run train = CliTest.parry("train", "--dataset", "synthetic", "--arch", "small-cnn",
                "--width", "8", "--epochs", "1", "--dropout", "0.3", "--out", cnn.toString());
        assertThat(train.exitCode()).as(train.err()).isZero();
        JsonNode card = SavedModel.json().readTree(cnn.resolve("model.json").toFile());
        assertThat(card.get("dropout").floatValue()).isEqualTo(0.3f);
        Path kdbu = dir.resolve("kd-bu");
        Run fit = CliTest.parry("detect", "fit", "--model", cnn.toString(), "--dataset",
                "synthetic", "--detector", "kd-bu", "--train-attack", "fgsm", "--eps", "0.2",
                "--fit-images", "400", "--attacked-images", "200", "--validation-images", "200",
                "--out", kdbu.toString(), "kd-bu.passes=10");
        assertThat(fit.exitCode()).as(fit.err()).isZero();
        assertThat(fit.out()).contains("(adversarial: fgsm)");
        JsonNode fitted = SavedModel.json().readTree(kdbu.resolve("detector.json").toFile());
        assertThat(fitted.get("trainAttacks").get(0).asText()).isEqualTo("fgsm");
        Run evaluate = CliTest.parry("detect", "evaluate", "--model", cnn.toString(),
                "--dataset", "synthetic", "--n", "100", "--detector", kdbu.toString(),
                "--attack", "fgsm", "--adaptive", "none", "--eps", "0.2");
        assertThat(evaluate.exitCode()).as(evaluate.err()).isZero();
        System.err.print(evaluate.out());
        // a supervised detector without a training attack is refused before any work
        assertClearError(CliTest.parry("detect", "fit", "--model", cnn.toString(), "--dataset",
                "synthetic", "--detector", "lid", "--fit-images", "100", "--validation-images",
                "100", "--out", dir.resolve("lid").toString()), "lid is a supervised detector",
                "--train-attack");
    }

    @Test
    void aQueryOnlyOnnxModelGetsOutputDetectorsAndClearErrorsForTheRest(@TempDir Path dir)
            throws IOException, URISyntaxException {
        Path fixtures = Paths.get(DetectCommandTest.class.getResource("/torchscript/expected.json")
                .toURI()).getParent();
        String onnx = Paths.get(DetectCommandTest.class.getResource("/onnx/plain_cnn.onnx")
                .toURI()).toString();
        String[] data = {"--dataset", "mnist", "--data-dir", fixtures.toString()};
        Path fitted = dir.resolve("onnx-softmax");
        Run fit = CliTest.parry(concat(new String[] {"detect", "fit", "--model", onnx, "--split",
            "test", "--detector", "max-softmax", "--fit-images", "50", "--validation-images",
            "50", "--out", fitted.toString()}, data));
        assertThat(fit.exitCode()).as(fit.err()).isZero();
        Run score = CliTest.parry(concat(new String[] {"detect", "score", "--model", onnx,
            "--detector", fitted.toString()}, data));
        assertThat(score.exitCode()).as(score.err()).isZero();
        assertThat(score.out()).contains("100 inputs of");
        // no gradients: the detector-aware attack and the feature detectors say so in one line
        assertClearError(CliTest.parry(concat(new String[] {"detect", "evaluate", "--model", onnx,
            "--detector", fitted.toString(), "--attack", "square", "--adaptive", "pgd"}, data)),
                "needs gradients", "query-only");
        assertClearError(CliTest.parry(concat(new String[] {"detect", "fit", "--model", onnx,
            "--split", "test", "--detector", "mahalanobis", "--fit-images", "50",
            "--validation-images", "50", "--out", dir.resolve("m").toString()}, data)),
                "plain_cnn.onnx");
    }

    private static String[] concat(String[] first, String[] second) {
        String[] all = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }

    @Test
    void mistakesAreOneLineErrors(@TempDir Path dir) throws IOException {
        String m = model.toString();
        assertClearError(CliTest.parry("detect"), "detect needs a subcommand");
        assertClearError(CliTest.parry("detect", "fit", "--model", m, "--dataset", "synthetic",
                "--detector", "nope", "--out", dir.resolve("a").toString()),
                "unknown detector 'nope'; known: max-softmax, kd-bu");
        assertClearError(CliTest.parry("detect", "fit", "--model", m, "--dataset", "synthetic",
                "--detector", "max-softmax", "--fit-images", "10", "--validation-images", "10",
                "--out", dir.resolve("b").toString(), "max-softmax.k=3"),
                "detector 'max-softmax' has no setting [k]");
        assertClearError(CliTest.parry("detect", "fit", "--model", m, "--dataset", "synthetic",
                "--detector", "max-softmax", "--out", detector.toString()), "detector.json",
                "--overwrite");
        assertClearError(CliTest.parry("detect", "fit", "--model", m, "--dataset", "synthetic",
                "--detector", "max-softmax", "--fit-images", "100000", "--out",
                dir.resolve("c").toString()), "fewer than --fit-images 100000");
        assertClearError(CliTest.parry("detect", "score", "--model", m, "--dataset", "synthetic",
                "--detector", dir.toString()), "not a fitted detector");
        Path notNpz = Files.writeString(dir.resolve("x.npz"), "nope");
        assertClearError(CliTest.parry("detect", "score", "--model", m, "--detector",
                detector.toString(), "--npz", notNpz.toString()), "x.npz");
    }
}
