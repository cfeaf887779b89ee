package org.parry.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parry.eval.DefenseComparison.ModelResults;
import org.parry.loss.AttackLoss;
import org.parry.model.SavedModel;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.train.TrainingRecipe;

class DefenseComparisonTest {

    private static final TrainingRecipe RECIPE = new TrainingRecipe("mlp",
            ArchitectureOptions.DEFAULT, "standard", null, Map.of(), "synthetic", 1000, 2, 0,
            false);

    @TempDir
    Path work;

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    private DefenseComparison comparison() {
        return new DefenseComparison(work, dataset -> null,
                new PrintStream(log, true, StandardCharsets.UTF_8));
    }

    @Test
    void trainsOnceMeasuresOnceAndKeepsTheNumbers() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Measure counted = Measures.simple("counted", 50, (model, test) -> {
            calls.incrementAndGet();
            assertThat(test.size()).isEqualTo(50);
            return 0.5;
        });
        List<Measure> measures = List.of(Measures.clean(200), Measures.fgsm(200, 0.3f),
                Measures.pgd20(200, 0.3f, AttackLoss.CE), counted);

        ModelResults first = comparison().measure("mlp", RECIPE, measures);

        assertThat(first.value("clean")).isGreaterThan(0.5); // the synthetic classes are easy
        assertThat(first.value("fgsm")).isLessThan(first.value("clean"));
        assertThat(first.value("pgd20")).isLessThanOrEqualTo(first.value("fgsm") + 0.02);
        assertThat(first.value("counted")).isEqualTo(0.5);
        assertThat(first.training().history()).hasSize(2);
        assertThat(first.training().seconds()).isPositive();
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("mlp: training");

        long modified = Files.getLastModifiedTime(work.resolve("mlp/model.json")).toMillis();
        log.reset();
        ModelResults again = comparison().measure("mlp", RECIPE, measures);
        assertThat(calls).hasValue(1);
        assertThat(again.values()).isEqualTo(first.values());
        assertThat(log.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(Files.getLastModifiedTime(work.resolve("mlp/model.json")).toMillis())
                .isEqualTo(modified);
        assertThat(comparison().cached("mlp").values()).isEqualTo(first.values());
    }

    @Test
    void aCachedModelTrainedOtherwiseIsRefusedByName() throws Exception {
        comparison().train("mlp", RECIPE);
        TrainingRecipe longer = new TrainingRecipe("mlp", ArchitectureOptions.DEFAULT, "standard",
                null, Map.of(), "synthetic", 1000, 3, 0, false);
        assertThatThrownBy(() -> comparison().measure("mlp", longer, List.of()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("epochs 2, not 3")
                .hasMessageContaining("delete the directory");
    }

    @Test
    void aRecipeMatchesTheCardItsTrainingWrites() throws Exception {
        TrainingRecipe monitored = new TrainingRecipe("mlp", ArchitectureOptions.DEFAULT,
                "fgsm-rs", 0.1f, Map.of(), "synthetic", 1000, 1, 3, true);
        comparison().train("monitored", monitored);
        assertThat(monitored.mismatch(SavedModel.readCard(work.resolve("monitored")))).isNull();
        assertThat(RECIPE.mismatch(SavedModel.readCard(work.resolve("monitored"))))
                .isEqualTo("defense fgsm-rs, not standard");
    }
}
