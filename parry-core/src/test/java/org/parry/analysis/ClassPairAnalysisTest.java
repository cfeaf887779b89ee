package org.parry.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.attack.Pgd;
import org.parry.data.ImageDataset;
import org.parry.eval.AttackTally;
import org.parry.eval.DataSetAttack;
import org.parry.model.Classifier;
import org.parry.model.SavedModel;
import org.parry.norm.Norm;
import org.parry.testing.TestModels;

/** Per-class robustness and the class pairs an untargeted attack sends samples across. */
class ClassPairAnalysisTest {

    private static final Pgd PGD = Pgd.builder(Norm.LINF, 0.25f).optSteps(10).optSeed(1).build();

    /**
     * The pair matrix holds the attack's successes, class by class: row t sums to the successes
     * on class t (counted here from an independent run of the same attack), the diagonal is
     * empty, the shares and the ranking follow from the counts, and the per-class adversarial
     * accuracy is the attack's.
     */
    @Test
    void thePairMatrixCountsTheSuccessesOfEachClass(@TempDir Path dir) throws IOException {
        Classifier model = TestModels.syntheticCnn();
        ImageDataset data = TestModels.syntheticTest().first(120);
        ClassPairAnalysis.Result result = new ClassPairAnalysis(PGD, 50).run(model, data,
                Progress.NONE);
        AttackTally tally = new DataSetAttack(PGD, null, 32, 0, false).run(model, data,
                DataSetAttack.Listener.NONE);
        assertThat(tally.successes()).as("the attack must break samples for the test to mean"
                + " anything").isGreaterThan(30);
        long[] successes = new long[10];
        long[] samples = new long[10];
        long[] adversarialCorrect = new long[10];
        for (int i = 0; i < data.size(); i++) {
            int label = data.label(i);
            samples[label]++;
            successes[label] += tally.success()[i] ? 1 : 0;
            adversarialCorrect[label] += tally.adversarialPredictions()[i] == label ? 1 : 0;
        }
        long[][] pairs = result.pairs().counts();
        long total = 0;
        for (int t = 0; t < 10; t++) {
            long row = 0;
            for (int p = 0; p < 10; p++) {
                row += pairs[t][p];
            }
            assertThat(row).as("class %d", t).isEqualTo(successes[t]);
            assertThat(result.successes()[t]).isEqualTo(successes[t]);
            assertThat(pairs[t][t]).isZero();
            assertThat(result.samples()[t]).isEqualTo(samples[t]);
            assertThat(result.adversarialAccuracy()[t])
                    .isCloseTo((double) adversarialCorrect[t] / samples[t], within(1e-12));
            if (successes[t] > 0) {
                int top = result.topWrongClass()[t];
                for (long count : pairs[t]) {
                    assertThat(count).isLessThanOrEqualTo(pairs[t][top]);
                }
                assertThat(result.topWrongShare()[t])
                        .isEqualTo((double) pairs[t][top] / successes[t]).isGreaterThan(0.0);
            } else {
                assertThat(result.topWrongClass()[t]).isEqualTo(-1);
                assertThat(result.topWrongShare()[t]).isNaN();
            }
            total += row;
        }
        assertThat(total).isEqualTo(tally.successes());
        assertThat(result.adversarial().accuracy()).isEqualTo(tally.adversarialAccuracy());
        assertThat(result.clean().accuracy()).isEqualTo(tally.cleanAccuracy());
        List<ClassPairAnalysis.Pair> ranked = result.rankedPairs();
        assertThat(ranked.stream().mapToLong(ClassPairAnalysis.Pair::count).sum()).isEqualTo(total);
        for (int k = 1; k < ranked.size(); k++) {
            assertThat(ranked.get(k).count()).isLessThanOrEqualTo(ranked.get(k - 1).count());
        }
        assertThat(result.table(5)).contains("class-0").contains("hardest class pairs")
                .contains(" -> ");

        Path chart = dir.resolve(ClassPairAnalysis.CHART);
        Path json = dir.resolve(ClassPairAnalysis.JSON);
        result.writeChart(chart);
        result.writeJson(json, Map.of("model", "small-cnn"));
        assertThat(Files.readAllBytes(chart)).startsWith(0x89, 'P', 'N', 'G');
        JsonNode read = SavedModel.json().readTree(json.toFile());
        assertThat(read.get("model").asText()).isEqualTo("small-cnn");
        assertThat(read.get("attack").get("name").asText()).isEqualTo("pgd");
        assertThat(read.get("pair_matrix").get(3).size()).isEqualTo(10);
        assertThat(read.get("per_class").get(3).get("successes").asLong()).isEqualTo(successes[3]);
        assertThat(read.get("pairs").size()).isEqualTo(ranked.size());
    }
}
