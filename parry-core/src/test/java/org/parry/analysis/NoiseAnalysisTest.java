package org.parry.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.attack.Attack;
import org.parry.attack.Pgd;
import org.parry.data.ImageDataset;
import org.parry.eval.ConfusionMatrix;
import org.parry.model.Classifier;
import org.parry.model.SavedModel;
import org.parry.norm.Norm;
import org.parry.testing.TestModels;

/** Random Gaussian noise against σ next to an attack against ε. */
class NoiseAnalysisTest {

    private static final float[] SIGMAS = {0f, 0.2f, 0.4f, 0.7f, 1f};
    private static final float[] EPSILONS = {0.05f, 0.1f, 0.2f, 0.3f};

    private static Attack pgd(double epsilon) {
        return Pgd.builder(Norm.LINF, (float) epsilon).optSteps(10).optSeed(1).build();
    }

    /**
     * At σ = 0 every draw gives the clean accuracy exactly; the noise accuracy falls as σ grows;
     * the attack's curve never rises with ε and ends far below the noise curve at the same size.
     */
    @Test
    void bothCurvesStartAtTheCleanAccuracyAndFall(@TempDir Path dir) throws IOException {
        Classifier model = TestModels.syntheticCnn();
        ImageDataset data = TestModels.syntheticTest().first(100);
        NoiseAnalysis.Result result = new NoiseAnalysis(SIGMAS, 2, EPSILONS, 40, 5)
                .run(model, data, NoiseAnalysisTest::pgd, Progress.NONE);
        double clean = ConfusionMatrix.measure(model, data, 64, done -> {}).accuracy();
        assertThat(result.cleanAccuracy()).isEqualTo(clean).isGreaterThan(0.9);
        assertThat(result.noiseAccuracy()[0]).containsExactly(clean, clean);
        double[] noise = result.meanNoiseAccuracy();
        for (int s = 1; s < noise.length; s++) {
            assertThat(noise[s]).as("σ = %s", SIGMAS[s]).isLessThanOrEqualTo(noise[s - 1]);
        }
        assertThat(noise[noise.length - 1]).isLessThan(clean - 0.3);
        double[] adversarial = result.adversarialAccuracy();
        assertThat(adversarial[0]).isLessThanOrEqualTo(clean);
        for (int e = 1; e < adversarial.length; e++) {
            assertThat(adversarial[e]).as("ε = %s", EPSILONS[e])
                    .isLessThanOrEqualTo(adversarial[e - 1]);
        }
        // worst case against average case: at 0.2 the attack is far stronger than the noise
        assertThat(adversarial[2]).isLessThan(noise[1] - 0.3);

        Path chart = dir.resolve(NoiseAnalysis.CHART);
        Path json = dir.resolve(NoiseAnalysis.JSON);
        result.writeChart(chart);
        result.writeJson(json, Map.of("dataset", data.name()));
        assertThat(Files.readAllBytes(chart)).startsWith(0x89, 'P', 'N', 'G');
        JsonNode read = SavedModel.json().readTree(json.toFile());
        assertThat(read.get("noise").get(0).get("accuracy").asDouble()).isEqualTo(clean);
        assertThat(read.get("noise").get(4).get("accuracy_per_draw").size()).isEqualTo(2);
        assertThat(read.get("adversarial").get(3).get("epsilon").floatValue()).isEqualTo(0.3f);
        assertThat(read.get("attack").get("name").asText()).isEqualTo("pgd");
    }

    /** A sample's noise depends on the seed, the draw and the sample, not on the batch. */
    @Test
    void theNoiseIsSeededPerSampleNotPerBatch() {
        Classifier model = TestModels.syntheticCnn();
        ImageDataset data = TestModels.syntheticTest().first(60);
        float[] sigmas = {0.3f, 0.5f};
        float[] epsilons = {0.1f};
        double[][] whole = new NoiseAnalysis(sigmas, 3, epsilons, 60, 9)
                .run(model, data, NoiseAnalysisTest::pgd, Progress.NONE).noiseAccuracy();
        double[][] small = new NoiseAnalysis(sigmas, 3, epsilons, 7, 9)
                .run(model, data, NoiseAnalysisTest::pgd, Progress.NONE).noiseAccuracy();
        assertThat(small).isDeepEqualTo(whole);
    }

    @Test
    void badSettingsAreRefusedWithTheFix() {
        assertThatThrownBy(() -> new NoiseAnalysis(new float[] {0.2f, 0.1f}, 1, EPSILONS, 8, 0))
                .hasMessageContaining("sigmas must increase").hasMessageContaining("ascending");
        assertThatThrownBy(() -> new NoiseAnalysis(new float[] {-0.1f}, 1, EPSILONS, 8, 0))
                .hasMessageContaining("sigmas must be finite and >= 0, got -0.1");
        assertThatThrownBy(() -> new NoiseAnalysis(SIGMAS, 1, new float[0], 8, 0))
                .hasMessageContaining("epsilons must hold at least one value");
        assertThatThrownBy(() -> new NoiseAnalysis(SIGMAS, 0, EPSILONS, 8, 0))
                .hasMessageContaining("draws");
    }
}
