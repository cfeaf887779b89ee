package org.parry.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parry.data.ImageDataset;
import org.parry.defense.DefenseOptions;
import org.parry.defense.DefenseRegistry;
import org.parry.model.BlockClassifier;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.model.zoo.ClassifierHead;
import org.parry.train.TrainingObjective;

/**
 * Adversarial-training throughput: images/s of training {@code small-cnn} with the standard
 * objective and every adversarial-training objective at ε = 0.1 (FGSM-RS, PGD-10 AT, TRADES,
 * IAT, SPAT on a cosine head, THRM, LADDER, J-SIGR), side by side: each repetition trains one epoch
 * of {@value TrainingBenchmark#BATCHES} random batches with every objective in turn, so that load
 * on the machine hits all alike; the first repetition is the warm-up. The ideal cost counts
 * forward-backward passes per image against standard training's one: FGSM-RS 2 (an attack
 * gradient, a step), PGD-10 AT 11, TRADES, SPAT and THRM 12 (ten attack gradients, then a step on
 * the clean and the attacked batch), IAT 12 (PGD-10, then a step on the two mixed halves); LADDER
 * and J-SIGR have no fixed count (decoder and SVM steps; finite-difference forwards).
 */
public final class DefenseTrainingBenchmark implements Benchmark {

    private static final List<String> DEFENSES = List.of("standard", "fgsm-rs", "pgd-at", "trades",
            "iat", "spat", "thrm", "ladder", "jsigr");
    private static final Map<String, Double> IDEAL = Map.of("standard", 1.0, "fgsm-rs", 2.0,
            "pgd-at", 11.0, "trades", 12.0, "iat", 12.0, "spat", 12.0, "thrm", 12.0);
    /** The objectives without a training attack, which take no ε. */
    private static final List<String> WITHOUT_EPSILON = List.of("standard", "ladder", "jsigr");

    @Override
    public String name() {
        return "defense-training";
    }

    @Override
    public String description() {
        return "images/s of training small-cnn with standard and each adversarial-training"
                + " objective (eps 0.1), side by side";
    }

    @Override
    public Map<String, Object> run(BenchContext context) throws Exception {
        int batches = context.quick() ? 3 : TrainingBenchmark.BATCHES;
        int repetitions = context.quick() ? 2 : 4;
        ImageDataset data = TrainingBenchmark.randomDataset(batches * TrainingBenchmark.BATCH, 10, 7);
        List<Stats> rates;
        List<BlockClassifier> models = new ArrayList<>();
        List<TrainingObjective> objectives = new ArrayList<>();
        try {
            for (String defense : DEFENSES) {
                ArchitectureOptions options = defense.equals("spat")
                        ? ArchitectureOptions.DEFAULT.withHead(ClassifierHead.COSINE,
                                ArchitectureOptions.DEFAULT_COSINE_SCALE)
                        : ArchitectureOptions.DEFAULT;
                models.add(Models.initialized(TrainingBenchmark.MODEL, options, Models.MNIST, 10,
                        42));
                // LADDER timed while it generates (its warm-up epochs cost what standard training does)
                objectives.add(DefenseRegistry.create(defense, new DefenseOptions(
                        WITHOUT_EPSILON.contains(defense) ? null : 0.1f,
                        defense.equals("ladder") ? Map.of("warmup", "0") : Map.of()),
                        Models.MNIST));
            }
            List<TrainingBenchmark.Epoch> epochs = new ArrayList<>();
            for (int d = 0; d < DEFENSES.size(); d++) {
                BlockClassifier model = models.get(d);
                TrainingObjective objective = objectives.get(d);
                epochs.add(() -> TrainingBenchmark.trainEpoch(model, objective, data));
            }
            rates = TrainingBenchmark.epochsSideBySide(epochs, repetitions);
        } finally {
            objectives.forEach(TrainingObjective::close);
            models.forEach(BlockClassifier::close);
        }
        Table table = new Table("objective", "images/s (median, min..max, spread)",
                "cost vs standard", "ideal");
        Map<String, Object> json = new LinkedHashMap<>();
        double standard = rates.get(DEFENSES.indexOf("standard")).median();
        for (int d = 0; d < DEFENSES.size(); d++) {
            String defense = DEFENSES.get(d);
            Stats stats = rates.get(d);
            double cost = standard / stats.median();
            Double ideal = IDEAL.get(defense);
            table.row(defense, stats.format("%.0f"), String.format("%.2f×", cost),
                    ideal == null ? "–" : String.format("%.0f×", ideal));
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("images_per_second", stats.toJson());
            entry.put("cost_vs_standard", cost);
            if (ideal != null) {
                entry.put("ideal_cost", ideal);
            }
            json.put(defense, entry);
        }
        table.print(context.out());
        context.out().printf("  %d timed repetitions of one %d-batch epoch per objective, after 1"
                + " warm-up%n", repetitions, batches);
        return json;
    }
}
