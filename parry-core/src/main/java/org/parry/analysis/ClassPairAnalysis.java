package org.parry.analysis;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.parry.attack.Attack;
import org.parry.attack.Require;
import org.parry.data.ImageDataset;
import org.parry.eval.AttackTally;
import org.parry.eval.ConfusionMatrix;
import org.parry.eval.DataSetAttack;
import org.parry.io.AtomicFiles;
import org.parry.model.Classifier;
import org.parry.report.Charts;

/**
 * Per-class robustness and hard class pairs under an untargeted attack, after the observation of
 * Hou, Han and Li, "Improving adversarial robustness with self-paced hard-class pair reweighting"
 * (AAAI 2023, arXiv 2210.15068): an untargeted attack is not direction-free. The samples of a
 * class it breaks land mostly in one semantically close class, their "virtual target" (on
 * CIFAR-10 more than 40 % of the attacked dogs become cats; on Fashion-MNIST shirt, T-shirt,
 * pullover and coat trade samples).
 *
 * <p>With labels y_i, clean predictions ŷ_i and predictions at the adversarial examples ŷ'_i of
 * the n samples, and S = {i : ŷ_i = y_i, ŷ'_i ≠ y_i} the attack's successes:
 * <pre>
 *   P[t][p]  = |{i ∈ S : y_i = t, ŷ'_i = p}|                 class-pair matrix (P[t][t] = 0)
 *   s_t      = Σ_p P[t][p]                                     successes on class t
 *   acc'_t   = |{i : y_i = t, ŷ'_i = t}| / |{i : y_i = t}|     adversarial accuracy of class t
 *   top_t    = argmax_p P[t][p],   share_t = P[t][top_t] / s_t  the top wrong class's share
 * </pre>
 * and the pairs (t, p) with P[t][p] &gt; 0 ranked by count (ties: the larger share of s_t, then
 * t, then p). The share is of the attack's successes on t, the errors the attack caused; clean
 * errors are in neither P nor s_t. SPAT's small experiment (methods note §1.8) expects share_t
 * &gt; 40 % for Fashion-MNIST's upper-body classes under PGD-20 on a standard model.
 *
 * @param attack the attack, run untargeted (success = a clean-correct sample misclassified)
 * @param batchSize images per attack call
 */
public record ClassPairAnalysis(Attack attack, int batchSize) {

    /** The heat map's file name. */
    public static final String CHART = "classes.png";
    /** The results' file name. */
    public static final String JSON = "classes.json";

    public ClassPairAnalysis {
        Objects.requireNonNull(attack, "attack");
        Require.atLeast("batch size", batchSize, 1);
    }

    /** The analysis with 128 images per attack call. */
    public static ClassPairAnalysis of(Attack attack) {
        return new ClassPairAnalysis(attack, 128);
    }

    /** Attacks every sample of {@code data} (any classifier the attack can attack). */
    public Result run(Classifier model, ImageDataset data, Progress progress) {
        String stage = "attack " + attack.name();
        progress.update(stage, 0, data.size());
        AttackTally tally = new DataSetAttack(attack, null, batchSize, 0, false).run(model, data,
                (done, rate) -> progress.update(stage, done, data.size()));
        return Result.of(tally, model.numClasses());
    }

    /**
     * One class pair.
     *
     * @param trueClass t
     * @param predictedClass p, the prediction at the adversarial example
     * @param count P[t][p]
     * @param share P[t][p] / s_t
     */
    public record Pair(int trueClass, int predictedClass, long count, double share) {}

    /**
     * What the attack did, class by class.
     *
     * @param attack the attack's name
     * @param settings its settings
     * @param clean counts of (label, clean prediction) over all samples
     * @param adversarial counts of (label, prediction at the adversarial example) over all samples
     * @param pairs the same over the attack's successes only: the class-pair matrix P
     */
    public record Result(String attack, Map<String, Object> settings, ConfusionMatrix clean,
            ConfusionMatrix adversarial, ConfusionMatrix pairs) {

        static Result of(AttackTally tally, int columns) {
            List<String> names = tally.data().classNames();
            int[] labels = tally.labels();
            int[] predictions = tally.adversarialPredictions();
            int successes = tally.successes();
            int[] successLabels = new int[successes];
            int[] successPredictions = new int[successes];
            for (int i = 0, j = 0; i < tally.size(); i++) {
                if (tally.success()[i]) {
                    successLabels[j] = labels[i];
                    successPredictions[j++] = predictions[i];
                }
            }
            return new Result(tally.job().attack().name(), tally.job().attack().settings(),
                    ConfusionMatrix.count(names, columns, labels, tally.cleanPredictions()),
                    ConfusionMatrix.count(names, columns, labels, predictions),
                    ConfusionMatrix.count(names, columns, successLabels, successPredictions));
        }

        /** The data set's class names, indexing rows. */
        public List<String> classNames() {
            return clean.classNames();
        }

        /** The names of the predicted classes (columns): the class names, numbers beyond them. */
        public List<String> predictedNames() {
            List<String> names = new ArrayList<>();
            for (int p = 0; p < pairs.counts()[0].length; p++) {
                names.add(p < classNames().size() ? classNames().get(p) : "class " + p);
            }
            return names;
        }

        /** Samples of each class. */
        public long[] samples() {
            return rowSums(clean.counts());
        }

        /** s_t, the attack's successes on each class. */
        public long[] successes() {
            return rowSums(pairs.counts());
        }

        /** acc'_t, NaN for a class without samples. */
        public double[] adversarialAccuracy() {
            return adversarial.perClassAccuracy();
        }

        /** top_t, or -1 for a class without successes. */
        public int[] topWrongClass() {
            long[][] counts = pairs.counts();
            int[] top = new int[counts.length];
            for (int t = 0; t < counts.length; t++) {
                top[t] = -1;
                for (int p = 0; p < counts[t].length; p++) {
                    if (counts[t][p] > 0 && (top[t] < 0 || counts[t][p] > counts[t][top[t]])) {
                        top[t] = p;
                    }
                }
            }
            return top;
        }

        /** share_t, NaN for a class without successes. */
        public double[] topWrongShare() {
            int[] top = topWrongClass();
            long[] successes = successes();
            double[] share = new double[top.length];
            for (int t = 0; t < top.length; t++) {
                share[t] = top[t] < 0 ? Double.NaN
                        : (double) pairs.counts()[t][top[t]] / successes[t];
            }
            return share;
        }

        /** Every pair with P[t][p] &gt; 0, hardest first. */
        public List<Pair> rankedPairs() {
            long[][] counts = pairs.counts();
            long[] successes = successes();
            List<Pair> ranked = new ArrayList<>();
            for (int t = 0; t < counts.length; t++) {
                for (int p = 0; p < counts[t].length; p++) {
                    if (counts[t][p] > 0) {
                        ranked.add(new Pair(t, p, counts[t][p],
                                (double) counts[t][p] / successes[t]));
                    }
                }
            }
            ranked.sort(Comparator.comparingLong(Pair::count).reversed()
                    .thenComparing(Comparator.comparingDouble(Pair::share).reversed())
                    .thenComparingInt(Pair::trueClass).thenComparingInt(Pair::predictedClass));
            return ranked;
        }

        /** The results as Maps and Lists, NaN as null. */
        public Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("analysis", "classes");
            json.put("attack", AnalysisJson.attack(attack, settings));
            json.put("n", clean.total());
            json.put("clean_accuracy", AnalysisJson.finite(clean.accuracy()));
            json.put("adversarial_accuracy", AnalysisJson.finite(adversarial.accuracy()));
            json.put("class_names", classNames());
            List<Map<String, Object>> perClass = new ArrayList<>();
            long[] samples = samples();
            long[] successes = successes();
            int[] top = topWrongClass();
            double[] share = topWrongShare();
            double[] cleanAccuracy = clean.perClassAccuracy();
            double[] adversarialAccuracy = adversarialAccuracy();
            for (int t = 0; t < samples.length; t++) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("class", classNames().get(t));
                row.put("samples", samples[t]);
                row.put("clean_accuracy", AnalysisJson.finite(cleanAccuracy[t]));
                row.put("adversarial_accuracy", AnalysisJson.finite(adversarialAccuracy[t]));
                row.put("successes", successes[t]);
                row.put("top_wrong_class", top[t] < 0 ? null : predictedNames().get(top[t]));
                row.put("top_wrong_share", AnalysisJson.finite(share[t]));
                perClass.add(row);
            }
            json.put("per_class", perClass);
            json.put("pair_matrix", pairs.counts());
            json.put("pair_matrix_rows", "true class; columns: prediction at the adversarial"
                    + " example; counts of the attack's successes");
            json.put("pairs", rankedPairs().stream().map(pair -> {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("true", classNames().get(pair.trueClass()));
                entry.put("predicted", predictedNames().get(pair.predictedClass()));
                entry.put("count", pair.count());
                entry.put("share", pair.share());
                return entry;
            }).toList());
            return json;
        }

        /** Per class: samples, accuracies, successes and top wrong class; then the hardest pairs. */
        public String table(int topPairs) {
            List<String> names = classNames();
            int width = Math.max(5, names.stream().mapToInt(String::length).max().orElse(5));
            StringBuilder text = new StringBuilder();
            text.append(String.format(Locale.ROOT, "%-" + width + "s  %6s  %9s  %9s  %9s  %s%n",
                    "class", "n", "clean acc", "adv acc", "successes", "top wrong class (share)"));
            long[] samples = samples();
            long[] successes = successes();
            int[] top = topWrongClass();
            double[] share = topWrongShare();
            double[] cleanAccuracy = clean.perClassAccuracy();
            double[] adversarialAccuracy = adversarialAccuracy();
            for (int t = 0; t < names.size(); t++) {
                text.append(String.format(Locale.ROOT,
                        "%-" + width + "s  %6d  %9.4f  %9.4f  %9d  %s%n", names.get(t), samples[t],
                        cleanAccuracy[t], adversarialAccuracy[t], successes[t], top[t] < 0 ? "-"
                                : String.format(Locale.ROOT, "%s (%.1f%%)",
                                        predictedNames().get(top[t]), 100 * share[t])));
            }
            List<Pair> ranked = rankedPairs();
            text.append(String.format(Locale.ROOT, "hardest class pairs (true -> prediction at"
                    + " the adversarial example: successes, share of the true class's):%n"));
            for (Pair pair : ranked.subList(0, Math.min(topPairs, ranked.size()))) {
                text.append(String.format(Locale.ROOT, "  %s -> %s: %d (%.1f%%)%n",
                        names.get(pair.trueClass()), predictedNames().get(pair.predictedClass()),
                        pair.count(), 100 * pair.share()));
            }
            if (ranked.isEmpty()) {
                text.append(String.format("  none: the attack broke no sample%n"));
            }
            return text.toString();
        }

        /** The class-pair matrix as a PNG heat map of each row's shares. */
        public void writeChart(Path file) throws IOException {
            long[][] counts = pairs.counts();
            long[] successes = successes();
            double[][] percent = new double[counts.length][];
            for (int t = 0; t < counts.length; t++) {
                percent[t] = new double[counts[t].length];
                for (int p = 0; p < counts[t].length; p++) {
                    percent[t][p] = successes[t] == 0 ? Double.NaN
                            : 100.0 * counts[t][p] / successes[t];
                }
            }
            byte[] png = Charts.classPairs(classNames(), predictedNames(), percent);
            AtomicFiles.write(file, out -> out.write(png));
        }

        /** {@link #toJson()} written to {@code file}, with what the caller adds (model, data). */
        public void writeJson(Path file, Map<String, Object> context) throws IOException {
            Map<String, Object> json = new LinkedHashMap<>(context);
            json.putAll(toJson());
            AnalysisJson.write(file, json);
        }

        private static long[] rowSums(long[][] counts) {
            long[] sums = new long[counts.length];
            for (int t = 0; t < counts.length; t++) {
                for (long count : counts[t]) {
                    sums[t] += count;
                }
            }
            return sums;
        }
    }
}
