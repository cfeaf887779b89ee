package org.parry.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleFunction;
import org.parry.attack.Attack;
import org.parry.attack.Require;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.eval.ConfusionMatrix;
import org.parry.eval.DataSetAttack;
import org.parry.io.AtomicFiles;
import org.parry.model.Classifier;
import org.parry.model.InputCheck;
import org.parry.norm.RandomNoise;
import org.parry.report.Charts;

/**
 * Accuracy under random Gaussian noise next to accuracy under an attack, on one scale: the
 * comparison of Yan, Du, Tan and Feng, "On robustness of neural ordinary differential equations"
 * (ICLR 2020, arXiv 1910.05513), which measures TisODE against Gaussian noise of growing σ as
 * well as against attacks of growing ε. Random noise is the average case of perturbations of a
 * size, an attack the worst case; a model can be robust to the first and not to the second.
 * <pre>
 *   acc_noise(σ) = mean_d (1/n) Σ_i 1[argmax f(clip(x_i + σ z_{i,d})) = y_i],   z_{i,d} ~ N(0, I)
 *   acc_adv(ε)   = (1/n) Σ_i 1[argmax f(x'_i(ε)) = y_i],                        x'_i(ε): the attack at ε
 * </pre>
 * with clip to the model's bounds. Both run over all n samples (clean errors included), so both
 * are the clean accuracy at 0. σ is in the pixel units of ε. The noise z_{i,d} depends only on the
 * seed, the draw d and the sample's index i (not on the batch), and the same draws serve every σ
 * (common random numbers: the curve moves with σ, not with fresh noise).
 *
 * @param sigmas noise levels σ, increasing, each &gt;= 0
 * @param draws noise draws per σ (D), at least 1
 * @param epsilons the attack's budgets ε, increasing, each &gt;= 0
 * @param batchSize images per forward pass and attack call
 * @param seed seeds the noise
 */
public record NoiseAnalysis(float[] sigmas, int draws, float[] epsilons, int batchSize,
        long seed) {

    /** The chart's file name. */
    public static final String CHART = "noise.png";
    /** The results' file name. */
    public static final String JSON = "noise.json";

    /** σ when none are given: 0 to 0.4, TisODE's 50/255 to 100/255 among them. */
    public static final float[] DEFAULT_SIGMAS = {0f, 0.05f, 0.1f, 0.2f, 0.3f, 0.4f};
    /** ε when none are given, on the same scale. */
    public static final float[] DEFAULT_EPSILONS = {0.05f, 0.1f, 0.2f, 0.3f};

    public NoiseAnalysis {
        sigmas = increasing("sigmas", sigmas);
        epsilons = increasing("epsilons", epsilons);
        Require.atLeast("draws", draws, 1);
        Require.atLeast("batch size", batchSize, 1);
    }

    /** The default σ and ε, 3 draws, 128 images per batch. */
    public static NoiseAnalysis of(long seed) {
        return new NoiseAnalysis(DEFAULT_SIGMAS, 3, DEFAULT_EPSILONS, 128, seed);
    }

    private static float[] increasing(String name, float[] values) {
        if (values == null || values.length == 0) {
            throw new IllegalArgumentException(name + " must hold at least one value");
        }
        for (int i = 0; i < values.length; i++) {
            if (!(values[i] >= 0f) || Float.isInfinite(values[i])) {
                throw new IllegalArgumentException(name + " must be finite and >= 0, got "
                        + values[i] + " in " + Arrays.toString(values));
            }
            if (i > 0 && !(values[i] > values[i - 1])) {
                throw new IllegalArgumentException(name + " must increase, got "
                        + Arrays.toString(values) + "; list them in ascending order, each once");
            }
        }
        return values.clone();
    }

    @Override
    public float[] sigmas() {
        return sigmas.clone();
    }

    @Override
    public float[] epsilons() {
        return epsilons.clone();
    }

    /**
     * Measures both curves.
     *
     * @param attackAt the attack at a budget ε (e.g. from the registry), run untargeted; called
     *     for every ε before any work, so that a bad setting fails first
     */
    public Result run(Classifier model, ImageDataset data, DoubleFunction<Attack> attackAt,
            Progress progress) {
        InputCheck.requireCompatible(model, data);
        List<Attack> attacks = new ArrayList<>();
        for (float epsilon : epsilons) {
            attacks.add(attackAt.apply(epsilon));
        }
        double clean = ConfusionMatrix.measure(model, data, batchSize,
                done -> progress.update("clean", done, data.size())).accuracy();
        double[][] noise = noiseAccuracy(model, data, progress);
        double[] adversarial = new double[epsilons.length];
        for (int e = 0; e < epsilons.length; e++) {
            String stage = "attack ε=" + epsilons[e];
            progress.update(stage, 0, data.size());
            adversarial[e] = new DataSetAttack(attacks.get(e), null, batchSize, seed, false)
                    .run(model, data, (done, rate) -> progress.update(stage, done, data.size()))
                    .adversarialAccuracy();
        }
        Attack first = attacks.get(0);
        return new Result(first.name(), first.settings(), data.size(), clean, sigmas(), draws,
                noise, epsilons(), adversarial);
    }

    /** accuracy[s][d] at σ_s under draw d. */
    private double[][] noiseAccuracy(Classifier model, ImageDataset data, Progress progress) {
        long[][] correct = new long[sigmas.length][draws];
        progress.update("noise", 0, data.size());
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int b = 0; b < data.numBatches(batchSize); b++) {
                try (NDManager step = manager.newSubManager()) {
                    Batch batch = data.batchNumber(step, b, batchSize);
                    NDArray x = batch.x();
                    for (int d = 0; d < draws; d++) {
                        NDArray z = RandomNoise.gaussian(step, x.getShape(),
                                rowSeeds(d, b * batchSize, batch.size()))
                                .toType(x.getDataType(), false);
                        for (int s = 0; s < sigmas.length; s++) {
                            NDArray noisy = model.bounds().clip(x.add(z.mul(sigmas[s])));
                            correct[s][d] += model.logits(noisy).argMax(1)
                                    .toType(batch.y().getDataType(), false).eq(batch.y())
                                    .sum().getLong();
                        }
                    }
                }
                progress.update("noise", Math.min(data.size(), (b + 1) * batchSize), data.size());
            }
        }
        double[][] accuracy = new double[sigmas.length][draws];
        for (int s = 0; s < sigmas.length; s++) {
            for (int d = 0; d < draws; d++) {
                accuracy[s][d] = (double) correct[s][d] / data.size();
            }
        }
        return accuracy;
    }

    /** The seeds of draw d's noise for samples first, first + 1, ..., first + count - 1. */
    private long[] rowSeeds(int draw, int first, int count) {
        long[] seeds = new long[count];
        for (int i = 0; i < count; i++) {
            seeds[i] = seed * 0x9E3779B97F4A7C15L + (draw + 1) * 0xC2B2AE3D27D4EB4FL + first + i;
        }
        return seeds;
    }

    /**
     * Both curves.
     *
     * @param attack the attack's name
     * @param settings its settings at the first ε
     * @param n samples
     * @param cleanAccuracy accuracy on the clean samples
     * @param sigmas σ
     * @param draws D
     * @param noiseAccuracy noiseAccuracy[s][d], at σ_s under draw d
     * @param epsilons ε
     * @param adversarialAccuracy at each ε
     */
    public record Result(String attack, Map<String, Object> settings, int n,
            double cleanAccuracy, float[] sigmas, int draws, double[][] noiseAccuracy,
            float[] epsilons, double[] adversarialAccuracy) {

        /** The accuracy at each σ, averaged over the draws. */
        public double[] meanNoiseAccuracy() {
            return Arrays.stream(noiseAccuracy).mapToDouble(row -> Arrays.stream(row).average()
                    .orElse(Double.NaN)).toArray();
        }

        /** The attack's norm, as its settings name it (e.g. linf), or "" when they do not. */
        private String norm() {
            Object norm = settings.get("norm");
            return norm == null ? "" : norm.toString();
        }

        /** The results as Maps and Lists. */
        public Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("analysis", "noise");
            json.put("n", n);
            json.put("clean_accuracy", cleanAccuracy);
            List<Map<String, Object>> noise = new ArrayList<>();
            double[] mean = meanNoiseAccuracy();
            for (int s = 0; s < sigmas.length; s++) {
                Map<String, Object> point = new LinkedHashMap<>();
                point.put("sigma", sigmas[s]);
                point.put("accuracy", mean[s]);
                point.put("accuracy_per_draw", noiseAccuracy[s]);
                noise.add(point);
            }
            json.put("draws", draws);
            json.put("noise", noise);
            json.put("attack", AnalysisJson.attack(attack, settings));
            List<Map<String, Object>> curve = new ArrayList<>();
            for (int e = 0; e < epsilons.length; e++) {
                Map<String, Object> point = new LinkedHashMap<>();
                point.put("epsilon", epsilons[e]);
                point.put("adversarial_accuracy", adversarialAccuracy[e]);
                curve.add(point);
            }
            json.put("adversarial", curve);
            json.put("definitions", "accuracy over all samples (clean errors included);"
                    + " noise: clip(x + sigma * N(0, I)) to the model's bounds, the mean over the"
                    + " draws; adversarial: accuracy at the attack's examples at each epsilon");
            return json;
        }

        /** Both curves as a table. */
        public String table() {
            StringBuilder text = new StringBuilder();
            text.append(String.format(Locale.ROOT, "clean accuracy %.4f (%d images)%n",
                    cleanAccuracy, n));
            text.append(String.format(Locale.ROOT, "%-8s  %-28s  %s%n", "σ",
                    "Gaussian noise (mean of " + draws + ")", "min .. max over draws"));
            double[] mean = meanNoiseAccuracy();
            for (int s = 0; s < sigmas.length; s++) {
                double[] row = noiseAccuracy[s];
                text.append(String.format(Locale.ROOT, "%-8.3f  %-28.4f  %.4f .. %.4f%n",
                        sigmas[s], mean[s], Arrays.stream(row).min().orElse(Double.NaN),
                        Arrays.stream(row).max().orElse(Double.NaN)));
            }
            text.append(String.format(Locale.ROOT, "%-8s  %s%n", "ε",
                    attack + " " + norm() + " adversarial accuracy"));
            for (int e = 0; e < epsilons.length; e++) {
                text.append(String.format(Locale.ROOT, "%-8.3f  %.4f%n", epsilons[e],
                        adversarialAccuracy[e]));
            }
            return text.toString();
        }

        /** Both curves on one chart, each from the clean accuracy at 0. */
        public void writeChart(Path file) throws IOException {
            double[][] noise = fromClean(sigmas, meanNoiseAccuracy());
            double[][] attacked = fromClean(epsilons, adversarialAccuracy);
            byte[] png = Charts.noiseAndAttack(attack, norm().isEmpty() ? null : norm(), noise[0],
                    noise[1], attacked[0], attacked[1]);
            AtomicFiles.write(file, out -> out.write(png));
        }

        /** {sizes, accuracies}, starting at (0, clean accuracy) unless the first size is 0. */
        private double[][] fromClean(float[] sizes, double[] accuracy) {
            int offset = sizes[0] == 0f ? 0 : 1;
            double[] x = new double[sizes.length + offset];
            double[] y = new double[sizes.length + offset];
            y[0] = cleanAccuracy;
            for (int i = 0; i < sizes.length; i++) {
                x[i + offset] = sizes[i];
                y[i + offset] = accuracy[i];
            }
            return new double[][] {x, y};
        }

        /** {@link #toJson()} written to {@code file}, with what the caller adds (model, data). */
        public void writeJson(Path file, Map<String, Object> context) throws IOException {
            Map<String, Object> json = new LinkedHashMap<>(context);
            json.putAll(toJson());
            AnalysisJson.write(file, json);
        }
    }
}
