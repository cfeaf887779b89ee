package org.parry.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.parry.Versions;
import org.parry.attack.Attack;
import org.parry.attack.AttackOptions;
import org.parry.attack.AttackRegistry;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.data.DataSets;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.defense.StageRegistry;
import org.parry.io.AtomicFiles;
import org.parry.model.BlockClassifier;
import org.parry.model.Classifier;
import org.parry.model.GradientMode;
import org.parry.model.Pipeline;
import org.parry.model.SavedModel;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.norm.Norm;
import org.parry.train.TrainingRecipe;

/**
 * Regenerates {@code docs/purification.md}: input-transform defenses in front of a standard
 * small-cnn, each measured three ways on the first test images (Athalye, Carlini and Wagner, ICML
 * 2018; Tramèr et al., NeurIPS 2020): against oblivious attacks crafted on the bare classifier
 * (FGSM, BIM, DeepFool, C&amp;W-L2, the lecture tables' attacks), against black-box transfer from a
 * surrogate (PGD-20 on an MLP trained on the same data), and against white-box PGD-20 through the
 * whole pipeline, once with autograd through every stage (what an attacker who ignores the
 * defense's gradients gets) and once adaptively (BPDA through non-differentiable stages, EOT over
 * 10 draws for random ones). Random defenses are scored as the mean accuracy over 5 draws. Trained
 * models and every measured row are cached in the work directory, so a run that is cut short
 * continues, and the page is rewritten after each row.
 *
 * <pre>
 * purification-table [--work DIR] [--out FILE] [--mnist DIR] [--points N] [--quick]
 * </pre>
 */
public final class PurificationTable {

    private static final int STEPS = 20;
    private static final int EOT = 10;
    private static final int DRAWS = 5;
    private static final int CHUNK = 125;
    private static final List<String> OBLIVIOUS = List.of("fgsm", "bim", "deepfool", "cw-l2");

    /** One data set of the page: its threat model and the defenses put in front of its model. */
    private record Setup(String dataset, Path dataDirectory, float epsilon, List<String> defenses) {}

    /** One measured row: accuracies in [0, 1] by column, and the inference overhead. */
    record Row(String defense, String adaptiveMode, Map<String, Double> accuracy,
            double overhead) {}

    private final Path work;
    private final Path out;
    private final int points;
    private final int epochs;
    private final List<Setup> setups;
    private final PrintStream log;
    private final Map<String, List<Row>> rows = new LinkedHashMap<>();

    private PurificationTable(Path work, Path out, int points, int epochs, List<Setup> setups,
            PrintStream log) {
        this.work = work;
        this.out = out;
        this.points = points;
        this.epochs = epochs;
        this.setups = setups;
        this.log = log;
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        TableArguments arguments = TableArguments.parse(args, "purification-table", "purification");
        boolean quick = arguments.quick();
        List<Setup> setups = new ArrayList<>();
        setups.add(new Setup("fashion-mnist", null, 0.1f, List.of("bit-depth:bits=3",
                "median:size=2", "jpeg:quality=75", "resize-pad", "noise:sigma=0.1")));
        if (arguments.mnist() != null) {
            setups.add(new Setup("mnist", arguments.mnist(), 0.3f, List.of("bit-depth:bits=1",
                    "median:size=2", "jpeg:quality=75", "resize-pad", "noise:sigma=0.1")));
        }
        new PurificationTable(quick ? arguments.work().resolve("quick") : arguments.work(),
                arguments.out(), quick ? 100 : arguments.points(),
                quick ? 1 : 3, setups, System.err).run();
    }

    private void run() throws IOException {
        Files.createDirectories(work);
        for (Setup setup : setups) {
            measure(setup);
        }
        writePage();
        log.println("wrote " + out);
    }

    private void measure(Setup setup) throws IOException {
        ImageDataset test = DataSets.load(setup.dataset(), setup.dataDirectory(), Split.TEST)
                .first(points);
        List<Row> measured = new ArrayList<>();
        rows.put(setup.dataset(), measured);
        try (BlockClassifier network = model(setup, "small-cnn", 0);
                BlockClassifier surrogate = model(setup, "mlp", 1);
                NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> crafted = new LinkedHashMap<>();
            for (String attack : OBLIVIOUS) {
                log.println(setup.dataset() + ": " + attack + " on the bare classifier...");
                crafted.put(attack, craft(manager, attack, network, test, setup.epsilon()));
            }
            log.println(setup.dataset() + ": pgd on the surrogate...");
            crafted.put("transfer", craft(manager, "pgd", surrogate, test, setup.epsilon()));
            double bareSeconds = inferenceSeconds(network, test);
            Map<String, Double> bare = new LinkedHashMap<>();
            bare.put("clean", accuracy(network, test, manager, null));
            for (Map.Entry<String, NDArray> entry : crafted.entrySet()) {
                bare.put(entry.getKey(), accuracy(network, test, manager, entry.getValue()));
            }
            NDArray whiteBox = craft(manager, "pgd", network, test, setup.epsilon());
            bare.put("pgd-exact", accuracy(network, test, manager, whiteBox));
            bare.put("pgd-adaptive", bare.get("pgd-exact"));
            measured.add(new Row("none", "exact", bare, 1.0));
            writePage();
            for (String spec : setup.defenses()) {
                measured.add(defended(setup, spec, network, test, manager, crafted, bareSeconds));
                writePage();
            }
        }
    }

    private Row defended(Setup setup, String spec, BlockClassifier network, ImageDataset test,
            NDManager manager, Map<String, NDArray> crafted, double bareSeconds)
            throws IOException {
        Path cache = work.resolve(setup.dataset() + "-" + spec.replace(':', '_').replace(',', '_')
                + "-" + points + ".json");
        if (Files.isRegularFile(cache)) {
            return SavedModel.json().readValue(cache.toFile(), Row.class);
        }
        log.println(setup.dataset() + ": " + spec + "...");
        try (Pipeline exact = StageRegistry.pipeline(network, List.of(spec), GradientMode.EXACT, 1, 1);
                Pipeline adaptive = StageRegistry.pipeline(network, List.of(spec), GradientMode.BPDA,
                        exact.randomized() ? EOT : 1, 2);
                Pipeline judge = StageRegistry.pipeline(network, List.of(spec), GradientMode.EXACT, 1, 3)) {
            Map<String, Double> accuracy = new LinkedHashMap<>();
            accuracy.put("clean", accuracy(judge, test, manager, null));
            for (Map.Entry<String, NDArray> entry : crafted.entrySet()) {
                accuracy.put(entry.getKey(), accuracy(judge, test, manager, entry.getValue()));
            }
            accuracy.put("pgd-exact", accuracy(judge, test, manager,
                    craft(manager, "pgd", exact, test, setup.epsilon())));
            accuracy.put("pgd-adaptive", accuracy(judge, test, manager,
                    craft(manager, "pgd", adaptive, test, setup.epsilon())));
            String mode = (adaptive.approximatesGradients() ? "BPDA" : "exact")
                    + (adaptive.eot() > 1 ? " + EOT " + adaptive.eot() : "");
            Row row = new Row(spec, mode, accuracy, inferenceSeconds(judge, test) / bareSeconds);
            AtomicFiles.writeString(cache, SavedModel.json().writerWithDefaultPrettyPrinter()
                    .writeValueAsString(row));
            return row;
        }
    }

    /** A standard model of the data set, trained once into the work directory. */
    private BlockClassifier model(Setup setup, String architecture, long seed) throws IOException {
        Path directory = work.resolve(setup.dataset() + "-" + architecture + "-" + epochs);
        if (!SavedModel.isSavedModel(directory)) {
            log.println(setup.dataset() + ": training a standard " + architecture + "...");
            new TrainingRecipe(architecture, ArchitectureOptions.DEFAULT, "standard", null,
                    Map.of(), setup.dataset(), 60_000, epochs, seed, false)
                    .train(directory, setup.dataDirectory());
        }
        return SavedModel.load(directory);
    }

    /** The adversarial points of an attack on {@code model}, in chunks, kept in {@code manager}. */
    private static NDArray craft(NDManager manager, String name, Classifier model,
            ImageDataset test, float epsilon) {
        boolean minimumNorm = name.equals("deepfool") || name.equals("cw-l2");
        Integer steps = name.equals("pgd") || name.equals("bim") ? STEPS : null;
        Attack attack = AttackRegistry.create(name, new AttackOptions(
                minimumNorm ? Norm.L2 : Norm.LINF, minimumNorm ? null : epsilon, steps, 7,
                Map.of()));
        List<NDArray> chunks = new ArrayList<>();
        for (int start = 0; start < test.size(); start += CHUNK) {
            try (NDManager scope = manager.newSubManager()) {
                Batch batch = test.batch(scope, start, Math.min(test.size(), start + CHUNK));
                NDArray adversarial = attack.run(model, batch.x(), new Misclassification(batch.y()))
                        .adversarial(manager);
                chunks.add(adversarial);
            }
        }
        return ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(chunks), 0);
    }

    /**
     * Accuracy on {@code inputs} (the clean images when null), the mean over {@value #DRAWS}
     * passes for a random pipeline.
     */
    private static double accuracy(Classifier model, ImageDataset test, NDManager manager,
            NDArray inputs) {
        int draws = model instanceof Pipeline pipeline && pipeline.randomized() ? DRAWS : 1;
        long correct = 0;
        for (int start = 0; start < test.size(); start += CHUNK) {
            try (NDManager scope = manager.newSubManager()) {
                int size = Math.min(test.size(), start + CHUNK) - start;
                Batch batch = test.batch(scope, start, start + size);
                NDArray x = inputs == null ? batch.x() : inputs.get(start + ":" + (start + size));
                NDArray labels = batch.y().toType(DataType.INT64, false);
                for (int d = 0; d < draws; d++) {
                    correct += model.logits(x).argMax(1).toType(DataType.INT64, false).eq(labels)
                            .sum().getLong();
                }
            }
        }
        return (double) correct / draws / test.size();
    }

    /** Seconds for one forward pass over the points, the median of 5 after a warm-up. */
    private static double inferenceSeconds(Classifier model, ImageDataset test) {
        double[] seconds = new double[6];
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = test.batch(manager, 0, Math.min(test.size(), CHUNK));
            for (int i = 0; i < seconds.length; i++) {
                long start = System.nanoTime();
                try (NDManager scope = manager.newSubManager()) {
                    scope.tempAttachAll(batch.x());
                    model.logits(batch.x());
                }
                seconds[i] = (System.nanoTime() - start) / 1e9;
            }
        }
        double[] timed = java.util.Arrays.copyOfRange(seconds, 1, seconds.length);
        java.util.Arrays.sort(timed);
        return timed[timed.length / 2];
    }

    private void writePage() throws IOException {
        StringBuilder page = new StringBuilder();
        page.append("# Input purification: oblivious, transfer and adaptive attacks\n\n")
                .append("Regenerated by `./purification-table").append(points == 500 ? "" : " --points " + points)
                .append(setups.size() > 1 ? " --mnist DIR" : "").append("` (")
                .append("Parry ").append(Versions.parry()).append(", PyTorch ").append(Versions.pytorch())
                .append("); every number was measured by that command on this machine (2 cores, no"
                        + " GPU). Do not edit by hand.\n\n")
                .append(INTRODUCTION);
        for (Setup setup : setups) {
            List<Row> measured = rows.get(setup.dataset());
            if (measured == null) {
                continue;
            }
            page.append(String.format(Locale.ROOT, "%n## %s, L∞ ε = %s, first %d test images%n%n",
                    setup.dataset(), setup.epsilon(), points));
            page.append("| defense | clean | FGSM | BIM-20 | DeepFool | C&W-L2 | transfer PGD-20"
                    + " | PGD-20, autograd | PGD-20, adaptive | adaptive mode | inference cost |\n");
            page.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
            for (Row row : measured) {
                page.append("| ").append(row.defense());
                for (String column : List.of("clean", "fgsm", "bim", "deepfool", "cw-l2",
                        "transfer", "pgd-exact", "pgd-adaptive")) {
                    page.append(String.format(Locale.ROOT, " | %.1f%%", 100 * row.accuracy().get(column)));
                }
                page.append(" | ").append(row.adaptiveMode())
                        .append(String.format(Locale.ROOT, " | %.2f× |%n", row.overhead()));
            }
        }
        AtomicFiles.writeString(out, page.toString());
    }

    private static final String INTRODUCTION = """
            Each defense is a stage in front of the same standard small-cnn (`--defense SPEC` in \
            `parry attack` and `parry evaluate`). Columns give the accuracy of the defended model:
            - **clean**: on the test images;
            - **FGSM, BIM-20, DeepFool, C&W-L2**: on adversarial examples crafted on the bare \
            classifier (oblivious attacks, as in the lecture's MagNet and Defense-GAN tables; \
            DeepFool and C&W-L2 are minimum-norm L2 attacks, their points are used as found);
            - **transfer PGD-20**: on PGD-20 examples crafted on a surrogate (a standard MLP \
            trained on the same data), black-box;
            - **PGD-20, autograd**: white-box through the whole pipeline with autograd in every \
            stage, the attacker who does not adapt (a quantizer's gradient is zero);
            - **PGD-20, adaptive**: white-box through the pipeline with BPDA's identity through \
            non-differentiable stages and EOT over 10 draws for random ones (Athalye, Carlini and \
            Wagner, ICML 2018);
            - **inference cost**: time of one forward pass of the defended model over the bare \
            model's, batch 125.

            Random defenses are scored as the mean accuracy over 5 draws of their randomness. \
            The first row is the bare classifier.
            """;
}
