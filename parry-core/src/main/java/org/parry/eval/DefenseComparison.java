package org.parry.eval;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.parry.data.DataSets;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.io.AtomicFiles;
import org.parry.model.BlockClassifier;
import org.parry.model.ModelCard;
import org.parry.model.SavedModel;
import org.parry.train.EpochMetrics;
import org.parry.train.TrainingRecipe;

/**
 * Compares defenses: trains each model of an experiment from its {@link TrainingRecipe} (once),
 * measures it with a list of {@link Measure}s (each once) and keeps both in a work directory, one
 * sub-directory per model, so that a run cut short continues where it stopped and a page can be
 * rewritten from the cache without computing anything. A cached model is reused only when its
 * card agrees with the recipe ({@link TrainingRecipe#mismatch}); otherwise the run stops with a
 * line naming the difference.
 *
 * <p>The results of a model ({@link ModelResults}) sit in {@code <work>/<id>/results.json},
 * rewritten (through a temporary file) after every measure.
 */
public final class DefenseComparison {

    /** The file of a model's results in its directory. */
    public static final String RESULTS = "results.json";

    private final Path work;
    private final Function<String, Path> dataDirectories;
    private final PrintStream log;

    /**
     * @param work where models and results are kept
     * @param dataDirectories where each data set's files are ({@link DataSets} name to a directory,
     *     or null for the system location)
     * @param log told what is being trained and measured
     */
    public DefenseComparison(Path work, Function<String, Path> dataDirectories, PrintStream log) {
        this.work = work;
        this.dataDirectories = dataDirectories;
        this.log = log;
    }

    /** Where the model {@code id} and its results are kept. */
    public Path directory(String id) {
        return work.resolve(id);
    }

    /** The cached results of model {@code id}, or null when it has none yet. */
    public ModelResults cached(String id) throws IOException {
        Path file = directory(id).resolve(RESULTS);
        return Files.isRegularFile(file)
                ? SavedModel.json().readValue(file.toFile(), ModelResults.class) : null;
    }

    /**
     * Trains the model {@code id} unless it is cached; the caller loads it with {@link #load}.
     *
     * @throws IllegalStateException when the cached model was trained otherwise than the recipe says
     */
    public void train(String id, TrainingRecipe recipe) throws IOException {
        Path directory = directory(id);
        if (SavedModel.isSavedModel(directory)) {
            String mismatch = recipe.mismatch(SavedModel.readCard(directory));
            if (mismatch != null) {
                throw new IllegalStateException("the cached model " + directory + " was trained"
                        + " with " + mismatch + "; delete the directory to train it again");
            }
            return;
        }
        log.printf(Locale.ROOT, "%s: training %s%n", id, recipe.describe());
        recipe.train(directory, dataDirectories.apply(recipe.dataset()));
    }

    /** The trained model {@code id}; the caller closes it. */
    public BlockClassifier load(String id) throws IOException {
        return SavedModel.load(directory(id));
    }

    /**
     * Trains the model if needed and runs the measures it has no cached number for.
     *
     * @return its results, with every measure of {@code measures}
     */
    public ModelResults measure(String id, TrainingRecipe recipe, List<Measure> measures)
            throws IOException {
        train(id, recipe);
        Path directory = directory(id);
        ModelCard card = SavedModel.readCard(directory);
        ModelResults cached = cached(id);
        ModelResults results = new ModelResults(id, recipe.describe(),
                ModelResults.Training.of(card),
                cached == null ? Map.of() : cached.values(),
                cached == null ? Map.of() : cached.flags(),
                cached == null ? Map.of() : cached.seconds());
        List<Measure> missing = measures.stream()
                .filter(m -> !results.values().containsKey(m.key())).toList();
        if (missing.isEmpty()) {
            return save(results);
        }
        ModelResults updated = save(results);
        ImageDataset test = DataSets.load(recipe.dataset(), dataDirectories.apply(recipe.dataset()),
                Split.TEST);
        try (BlockClassifier model = load(id)) {
            for (Measure measure : missing) {
                log.printf(Locale.ROOT, "%s: %s on %d points%n", id, measure.key(),
                        measure.points());
                long start = System.nanoTime();
                Measure.Outcome outcome = measure.measure(model, test.first(measure.points()),
                        directory);
                updated = save(updated.with(measure.key(), outcome,
                        (System.nanoTime() - start) / 1e9));
            }
        }
        return updated;
    }

    private ModelResults save(ModelResults results) throws IOException {
        AtomicFiles.write(directory(results.id()).resolve(RESULTS), out ->
                SavedModel.json().writerWithDefaultPrettyPrinter().writeValue(out, results));
        return results;
    }

    /**
     * What was measured on one trained model.
     *
     * @param id the model's name in the experiment
     * @param recipe how it was trained, in words ({@link TrainingRecipe#describe})
     * @param training what its training took and recorded
     * @param values each measure's number, by key
     * @param flags each measure's findings by key (e.g. the sanity checks AutoAttack's evaluation
     *     did not pass), only for measures that reported some
     * @param seconds each measure's wall time, by key
     */
    public record ModelResults(String id, String recipe, Training training,
            Map<String, Double> values, Map<String, Map<String, String>> flags,
            Map<String, Double> seconds) {

        public ModelResults {
            values = Collections.unmodifiableMap(new TreeMap<>(values));
            flags = Collections.unmodifiableMap(new TreeMap<>(flags));
            seconds = Collections.unmodifiableMap(new TreeMap<>(seconds));
        }

        /** The number of measure {@code key}, or NaN when it was not measured. */
        public double value(String key) {
            return values.getOrDefault(key, Double.NaN);
        }

        ModelResults with(String key, Measure.Outcome outcome, double took) {
            Map<String, Double> moreValues = new LinkedHashMap<>(values);
            moreValues.put(key, outcome.value());
            Map<String, Map<String, String>> moreFlags = new LinkedHashMap<>(flags);
            if (!outcome.flags().isEmpty() || key.equals("autoattack")) {
                moreFlags.put(key, outcome.flags());
            }
            Map<String, Double> moreSeconds = new LinkedHashMap<>(seconds);
            moreSeconds.put(key, took);
            return new ModelResults(id, recipe, training, moreValues, moreFlags, moreSeconds);
        }

        /**
         * A model's training, from its card.
         *
         * @param seconds wall time of all epochs
         * @param imagesPerSecond throughput of the last epoch
         * @param testAccuracy accuracy on the whole test split after training
         * @param backward how its gradients were computed (the card's {@code training.backward})
         * @param history every epoch's metrics, with what the objective and the monitor measured
         */
        public record Training(double seconds, double imagesPerSecond, double testAccuracy,
                String backward, List<EpochMetrics> history) {

            public Training {
                history = List.copyOf(history);
            }

            static Training of(ModelCard card) {
                Map<String, Double> metrics = card.metrics();
                Object history = card.training().get("history");
                List<EpochMetrics> epochs = history == null ? List.of()
                        : SavedModel.json().convertValue(history, SavedModel.json()
                                .getTypeFactory().constructCollectionType(List.class,
                                        EpochMetrics.class));
                return new Training(metrics.getOrDefault("train_seconds", Double.NaN),
                        metrics.getOrDefault("train_images_per_second", Double.NaN),
                        metrics.getOrDefault("test_accuracy", Double.NaN),
                        String.valueOf(card.training().get("backward")), epochs);
            }
        }
    }
}
