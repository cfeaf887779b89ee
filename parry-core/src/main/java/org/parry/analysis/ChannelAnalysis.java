package org.parry.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.IntStream;
import org.parry.attack.Attack;
import org.parry.attack.Require;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.eval.AttackTally;
import org.parry.eval.ConfusionMatrix;
import org.parry.eval.DataSetAttack;
import org.parry.io.AtomicFiles;
import org.parry.loss.LabelLogit;
import org.parry.model.Classifier;
import org.parry.model.Layers;
import org.parry.report.Charts;

/**
 * How adversarial examples move the channels of a layer: the observation behind CIFS, Yan, Zhang,
 * Niu, Feng, Tan and Sugiyama, "CIFS: improving adversarial robustness of CNNs via channel-wise
 * importance-based feature selection" (ICML 2021, arXiv 2102.05311, §3). Adversarial examples
 * raise the activation of the channels that are negatively relevant to the true class and
 * suppress the positively relevant ones, and more so on the classes a model defends worst.
 *
 * <p>For a layer with output z (C channels of H &times; W positions; a vector layer has one
 * position) and the logits f, over the samples i of class y with adversarial examples x'_i:
 * <pre>
 *   r_{y,c}  = mean_i Σ_{h,w} ∂f_y(x_i)/∂z_{c,h,w}      relevance of channel c to class y (clean inputs)
 *   m_{y,c}  = mean_i mean_{h,w} |z_{c,h,w}(x_i)|        clean magnitude
 *   m'_{y,c} = mean_i mean_{h,w} |z_{c,h,w}(x'_i)|       adversarial magnitude
 * </pre>
 * r is CIFS's probe relevance (the spatially summed gradient of the class's logit, in CIFS the
 * probe's, here the network's own); channel c is positively relevant to y when r_{y,c} &gt; 0 and
 * negatively when r_{y,c} &lt; 0. The classes are ranked by adversarial accuracy (ties by class
 * index): the lower half are the non-robust classes, the upper half the robust ones (with an odd
 * number of classes the median one is in neither). For each group of classes and each sign of
 * relevance the result gives the mean of m and m' over its (class, channel) pairs and the share
 * of pairs with m' &gt; m: CIFS's observation holds where m' &lt; m on positive channels and
 * m' &gt; m on negative ones; since an L&infin; perturbation can raise every channel (it brightens
 * the whole image), the result also says whether the relative change m'/m - 1 is larger on the
 * negative channels than on the positive ones ({@link Result#negativeRoseMore()}). The chart ranks each class's channels by r_{y,c} and averages m and
 * m' per rank over a group's classes.
 *
 * <p>Only Parry's own models expose their layers ({@link Layers#of} refuses any other
 * classifier); the default layer is the last convolutional stage's output ({@link
 * Layers#featureMap()}).
 *
 * @param attack the attack, run untargeted
 * @param layer the layer's index path ({@link Layers.Layer#path()}), or null for {@link
 *     Layers#featureMap()}
 * @param batchSize images per attack call and per forward pass
 */
public record ChannelAnalysis(Attack attack, String layer, int batchSize) {

    /** The chart's file name. */
    public static final String CHART = "channels.png";
    /** The results' file name. */
    public static final String JSON = "channels.json";

    public ChannelAnalysis {
        Objects.requireNonNull(attack, "attack");
        Require.atLeast("batch size", batchSize, 1);
    }

    /** The analysis of the default layer, 128 images per batch. */
    public static ChannelAnalysis of(Attack attack) {
        return new ChannelAnalysis(attack, null, 128);
    }

    /**
     * Attacks every sample of {@code data}, then reads the layer on the clean and adversarial
     * inputs and its relevance on the clean ones.
     *
     * @throws IllegalArgumentException before any work, for a model that is not a Parry model, an
     *     unknown layer, or a layer whose output is neither (C, H, W) nor a vector
     */
    public Result run(Classifier model, ImageDataset data, Progress progress) {
        Layers layers = Layers.of(model);
        Layers.Layer at = layer == null ? layers.featureMap() : layers.layer(layer);
        Shape shape = at.outputShape();
        if (shape.dimension() != 1 && shape.dimension() != 3) {
            throw new IllegalArgumentException("layer " + at + " outputs neither a feature map (C,"
                    + " H, W) nor a vector; choose another layer: " + layers.describe());
        }
        String attackStage = "attack " + attack.name();
        progress.update(attackStage, 0, data.size());
        AttackTally tally = new DataSetAttack(attack, null, batchSize, 0, true).run(model, data,
                (done, rate) -> progress.update(attackStage, done, data.size()));
        int classes = data.numClasses();
        int channels = Math.toIntExact(shape.get(0));
        double[][] relevance = new double[classes][channels];
        double[][] clean = new double[classes][channels];
        double[][] adversarial = new double[classes][channels];
        int imageSize = Math.toIntExact(data.imageShape().size());
        progress.update("layer " + at.path(), 0, data.size());
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int b = 0; b < data.numBatches(batchSize); b++) {
                try (NDManager step = manager.newSubManager()) {
                    Batch batch = data.batchNumber(step, b, batchSize);
                    int from = b * batchSize;
                    NDArray xAdv = step.create(Arrays.copyOfRange(tally.adversarial(),
                            from * imageSize, (from + batch.size()) * imageSize),
                            batch.x().getShape()).toType(batch.x().getDataType(), false);
                    NDArray z = layers.features(at, batch.x());
                    NDArray gradient = layers.tailGradient(at, z, batch.y(), LabelLogit.get())
                            .gradient();
                    NDArray byClass = batch.y().toType(DataType.INT64, false).oneHot(classes)
                            .toType(DataType.FLOAT64, false).transpose();
                    add(relevance, byClass, perChannel(gradient, false));
                    add(clean, byClass, perChannel(z.abs(), true));
                    add(adversarial, byClass, perChannel(layers.features(at, xAdv).abs(), true));
                }
                progress.update("layer " + at.path(), Math.min(data.size(), (b + 1) * batchSize),
                        data.size());
            }
        }
        long[] samples = new long[classes];
        for (int label : data.labels()) {
            samples[label]++;
        }
        for (int y = 0; y < classes; y++) {
            for (int c = 0; c < channels; c++) {
                relevance[y][c] /= samples[y];
                clean[y][c] /= samples[y];
                adversarial[y][c] /= samples[y];
            }
        }
        double[] accuracy = ConfusionMatrix.count(data.classNames(), model.numClasses(),
                tally.labels(), tally.adversarialPredictions()).perClassAccuracy();
        return new Result(attack.name(), attack.settings(), at.toString(), data.classNames(),
                samples, accuracy, groups(accuracy), relevance, clean, adversarial);
    }

    /** [N, C]: the sum (or mean) over positions of a [N, C, H, W] array; a [N, C] one as it is. */
    private static NDArray perChannel(NDArray values, boolean mean) {
        if (values.getShape().dimension() == 2) {
            return values;
        }
        NDArray sum = values.sum(new int[] {2, 3}); // PyTorch's mean takes one axis only
        return mean ? sum.div(values.getShape().get(2) * values.getShape().get(3)) : sum;
    }

    /** sums[y][c] += Σ_{i : y_i = y} values[i][c], with byClass the [K, N] one-hot labels. */
    private static void add(double[][] sums, NDArray byClass, NDArray values) {
        double[] total = byClass.matMul(values.toType(DataType.FLOAT64, false)).toDoubleArray();
        int channels = sums[0].length;
        for (int y = 0; y < sums.length; y++) {
            for (int c = 0; c < channels; c++) {
                sums[y][c] += total[y * channels + c];
            }
        }
    }

    /**
     * +1 for a robust class, -1 for a non-robust one, 0 for the median class of an odd number and
     * for classes without samples (NaN accuracy).
     */
    static int[] groups(double[] accuracy) {
        int[] ranked = IntStream.range(0, accuracy.length).filter(c -> !Double.isNaN(accuracy[c]))
                .boxed().sorted(Comparator.<Integer>comparingDouble(c -> accuracy[c])
                        .thenComparingInt(c -> c))
                .mapToInt(Integer::intValue).toArray();
        int[] group = new int[accuracy.length];
        int half = ranked.length / 2;
        for (int k = 0; k < half; k++) {
            group[ranked[k]] = -1;
            group[ranked[ranked.length - 1 - k]] = 1;
        }
        return group;
    }

    /**
     * The means over one group of classes and one sign of relevance.
     *
     * @param classes "robust", "non-robust" or "all"
     * @param relevance "positive" or "negative"
     * @param pairs the (class, channel) pairs in it
     * @param clean mean m over them
     * @param adversarial mean m' over them
     * @param raised share of them with m' &gt; m
     */
    public record Summary(String classes, String relevance, int pairs, double clean,
            double adversarial, double raised) {

        /** Whether m' moved as CIFS says: down on positive channels, up on negative ones. */
        public boolean asCifsSays() {
            return relevance.equals("positive") ? adversarial < clean : adversarial > clean;
        }

        /** m' / m - 1, the relative change of the mean magnitude. */
        public double change() {
            return adversarial / clean - 1;
        }
    }

    /**
     * What the attack did to the layer, class by class and channel by channel.
     *
     * @param attack the attack's name
     * @param settings its settings
     * @param layer the layer, e.g. {@code 1.5 maxPool2d (16, 7, 7)}
     * @param classNames the data set's classes
     * @param samples samples per class
     * @param adversarialAccuracy per class, accuracy at the adversarial examples (NaN without
     *     samples)
     * @param group per class, +1 robust, -1 non-robust, 0 neither
     * @param relevance r[y][c]
     * @param clean m[y][c]
     * @param adversarial m'[y][c]
     */
    public record Result(String attack, Map<String, Object> settings, String layer,
            List<String> classNames, long[] samples, double[] adversarialAccuracy, int[] group,
            double[][] relevance, double[][] clean, double[][] adversarial) {

        private static final String[] GROUPS = {"robust", "non-robust", "all"};
        private static final int[] GROUP_SIGNS = {1, -1, 0};

        /** The number of channels, C. */
        public int channels() {
            return relevance[0].length;
        }

        /** Per group of classes (robust, non-robust, all) and sign of relevance, the means. */
        public List<Summary> summary() {
            List<Summary> rows = new ArrayList<>();
            for (int g = 0; g < GROUPS.length; g++) {
                for (String sign : List.of("positive", "negative")) {
                    int pairs = 0;
                    int raised = 0;
                    double cleanSum = 0;
                    double adversarialSum = 0;
                    for (int y = 0; y < classNames.size(); y++) {
                        if (!inGroup(y, GROUP_SIGNS[g])) {
                            continue;
                        }
                        for (int c = 0; c < channels(); c++) {
                            double r = relevance[y][c];
                            if (sign.equals("positive") ? r > 0 : r < 0) {
                                pairs++;
                                cleanSum += clean[y][c];
                                adversarialSum += adversarial[y][c];
                                raised += adversarial[y][c] > clean[y][c] ? 1 : 0;
                            }
                        }
                    }
                    rows.add(new Summary(GROUPS[g], sign, pairs, cleanSum / pairs,
                            adversarialSum / pairs, (double) raised / pairs));
                }
            }
            return rows;
        }

        /**
         * Per group of classes (robust, non-robust, all), whether the negatively relevant channels
         * rose relatively more than the positively relevant ones: CIFS's observation with a
         * change common to all channels (an L∞ perturbation brightens the whole image) factored
         * out. Null for a group without channels of both signs.
         */
        public Map<String, Boolean> negativeRoseMore() {
            Map<String, Boolean> verdict = new LinkedHashMap<>();
            List<Summary> rows = summary();
            for (int g = 0; g < GROUPS.length; g++) {
                Summary positive = rows.get(2 * g);
                Summary negative = rows.get(2 * g + 1);
                verdict.put(GROUPS[g], positive.pairs() == 0 || negative.pairs() == 0 ? null
                        : negative.change() > positive.change());
            }
            return verdict;
        }

        /** A class with samples in the group (0 = all of them). */
        private boolean inGroup(int y, int sign) {
            return samples[y] > 0 && (sign == 0 || group[y] == sign);
        }

        /**
         * Per rank k (0 = most positively relevant), the mean over the group's classes of the
         * magnitude of each class's k-th channel by relevance.
         *
         * @param values m or m', or r itself
         */
        double[] byRank(double[][] values, int sign) {
            double[] sum = new double[channels()];
            int members = 0;
            for (int y = 0; y < classNames.size(); y++) {
                if (!inGroup(y, sign)) {
                    continue;
                }
                double[] r = relevance[y];
                Integer[] order = IntStream.range(0, channels()).boxed()
                        .sorted(Comparator.<Integer>comparingDouble(c -> -r[c])).toArray(Integer[]::new);
                for (int k = 0; k < order.length; k++) {
                    sum[k] += values[y][order[k]];
                }
                members++;
            }
            for (int k = 0; k < sum.length; k++) {
                sum[k] /= members;
            }
            return sum;
        }

        /** The results as Maps and Lists, NaN as null. */
        public Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("analysis", "channels");
            json.put("attack", AnalysisJson.attack(attack, settings));
            json.put("layer", layer);
            json.put("channels", channels());
            json.put("n", Arrays.stream(samples).sum());
            json.put("class_names", classNames);
            json.put("summary", summary().stream().map(row -> {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("classes", row.classes());
                entry.put("relevance", row.relevance());
                entry.put("pairs", row.pairs());
                entry.put("clean_magnitude", AnalysisJson.finite(row.clean()));
                entry.put("adversarial_magnitude", AnalysisJson.finite(row.adversarial()));
                entry.put("relative_change", AnalysisJson.finite(row.change()));
                entry.put("raised_share", AnalysisJson.finite(row.raised()));
                entry.put("as_cifs_says", row.asCifsSays());
                return entry;
            }).toList());
            json.put("negative_rose_more", negativeRoseMore());
            List<Map<String, Object>> perClass = new ArrayList<>();
            for (int y = 0; y < classNames.size(); y++) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("class", classNames.get(y));
                entry.put("samples", samples[y]);
                entry.put("adversarial_accuracy", AnalysisJson.finite(adversarialAccuracy[y]));
                entry.put("group", group[y] > 0 ? "robust" : group[y] < 0 ? "non-robust" : null);
                entry.put("relevance", AnalysisJson.finite(relevance[y]));
                entry.put("clean_magnitude", AnalysisJson.finite(clean[y]));
                entry.put("adversarial_magnitude", AnalysisJson.finite(adversarial[y]));
                perClass.add(entry);
            }
            json.put("per_class", perClass);
            json.put("definitions", "relevance[c] = mean over the class's clean samples of the sum"
                    + " over positions of d(logit of the class)/d(activation); magnitude[c] = mean"
                    + " over the class's samples and positions of |activation|; robust /"
                    + " non-robust = upper / lower half of the classes by adversarial accuracy");
            return json;
        }

        /** The summary as a table, with what CIFS expects and what happened. */
        public String table() {
            StringBuilder text = new StringBuilder();
            text.append(String.format(Locale.ROOT, "layer %s: %d channels; attack %s%n", layer,
                    channels(), attack));
            text.append("robust classes: ").append(members(1)).append("; non-robust classes: ")
                    .append(members(-1)).append(tied() ? " (tied accuracies, split by class index)"
                            : "").append(String.format("%n"));
            text.append(String.format(Locale.ROOT, "%-10s  %-9s  %6s  %10s  %10s  %8s  %8s  %s%n",
                    "classes", "relevance", "pairs", "clean |z|", "adv |z|", "change", "raised",
                    "CIFS expects"));
            for (Summary row : summary()) {
                text.append(String.format(Locale.ROOT,
                        "%-10s  %-9s  %6d  %10.4f  %10.4f  %+7.1f%%  %7.1f%%  %s%n", row.classes(),
                        row.relevance(), row.pairs(), row.clean(), row.adversarial(),
                        100 * row.change(), 100 * row.raised(),
                        (row.relevance().equals("positive") ? "lower" : "higher")
                                + (row.pairs() == 0 ? "" : row.asCifsSays() ? " (yes)" : " (no)")));
            }
            List<Summary> rows = summary();
            for (int g = 0; g < GROUPS.length; g++) {
                Boolean rose = negativeRoseMore().get(GROUPS[g]);
                text.append(String.format(Locale.ROOT, "%s classes: negatively relevant channels"
                        + " %+.1f%%, positively relevant %+.1f%%: %s%n", GROUPS[g],
                        100 * rows.get(2 * g + 1).change(), 100 * rows.get(2 * g).change(),
                        rose == null ? "no channels of both signs"
                                : rose ? "as CIFS says" : "not as CIFS says"));
            }
            return text.toString();
        }

        /** Whether a robust class is no more robust than a non-robust one. */
        private boolean tied() {
            double lowestRobust = Double.POSITIVE_INFINITY;
            double highestNonRobust = Double.NEGATIVE_INFINITY;
            for (int y = 0; y < group.length; y++) {
                if (group[y] > 0) {
                    lowestRobust = Math.min(lowestRobust, adversarialAccuracy[y]);
                } else if (group[y] < 0) {
                    highestNonRobust = Math.max(highestNonRobust, adversarialAccuracy[y]);
                }
            }
            return lowestRobust <= highestNonRobust;
        }

        private String members(int sign) {
            List<String> names = new ArrayList<>();
            for (int y = 0; y < classNames.size(); y++) {
                if (group[y] == sign) {
                    names.add(String.format(Locale.ROOT, "%s %.2f", classNames.get(y),
                            adversarialAccuracy[y]));
                }
            }
            return names.isEmpty() ? "none" : String.join(", ", names);
        }

        /** Magnitudes against relevance rank, clean and adversarial, per group, as a PNG. */
        public void writeChart(Path file) throws IOException {
            List<String> names = new ArrayList<>();
            List<double[]> cleanCurves = new ArrayList<>();
            List<double[]> adversarialCurves = new ArrayList<>();
            for (int g = 0; g < 2; g++) {
                int sign = GROUP_SIGNS[g];
                if (IntStream.range(0, group.length).anyMatch(y -> group[y] == sign)) {
                    names.add(GROUPS[g]);
                    cleanCurves.add(byRank(clean, sign));
                    adversarialCurves.add(byRank(adversarial, sign));
                }
            }
            byte[] png = Charts.channelMagnitudes(names,
                    cleanCurves.toArray(double[][]::new),
                    adversarialCurves.toArray(double[][]::new), byRank(relevance, 0));
            AtomicFiles.write(file, out -> out.write(png));
        }

        /** {@link #toJson()} written to {@code file}, with what the caller adds (model, data). */
        public void writeJson(Path file, Map<String, Object> context) throws IOException {
            Map<String, Object> json = new LinkedHashMap<>(context);
            json.putAll(toJson());
            AnalysisJson.write(file, json);
        }
    }
}
