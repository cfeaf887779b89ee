package org.parry.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parry.attack.Attack;
import org.parry.data.ImageDataset;
import org.parry.eval.AttackTally;
import org.parry.eval.DestructionRate;
import org.parry.eval.PerturbationStats;
import org.parry.io.AtomicFiles;
import org.parry.io.ImageGallery;
import org.parry.io.NpzWriter;
import org.parry.model.SavedModel;

/**
 * Writes what a {@link org.parry.eval.DataSetAttack} found, each file atomically:
 * <ul>
 *   <li>{@value #NPZ}: the adversarial and clean images (float32 [N, C, H, W]), labels,
 *       predictions, success, L2, L∞ and L0 norms, confidence at the adversarial point, and the
 *       targets of a targeted attack, readable with {@code numpy.load};
 *   <li>{@value #GALLERY}: the first samples, clean, adversarial and amplified perturbation, with
 *       class names as captions;
 *   <li>the results as JSON: the attack and its settings, clean, robust and adversarial accuracy,
 *       success rate and its denominator, perturbation statistics over the successes, cost, seed
 *       and batch size; and the destruction rates of physical transforms when measured.
 * </ul>
 * The images need a tally that kept them ({@link org.parry.eval.DataSetAttack#keepImages()}).
 */
public final class AttackFiles {

    /** The adversarial examples' file name. */
    public static final String NPZ = "adversarial.npz";
    /** The gallery's file name. */
    public static final String GALLERY = "gallery.png";

    /** Success against queries, written for query attacks. */
    public static final String QUERIES = "queries.png";

    /** Samples per group of rows in the gallery. */
    private static final int COLUMNS = 8;

    static {
        ReportWriter.ensureHeadless();
    }

    private AttackFiles() {}

    /** The per-sample arrays as a NumPy archive. */
    public static void writeNpz(Path file, AttackTally tally) throws IOException {
        requireImages(tally);
        ImageDataset data = tally.data();
        long n = tally.size();
        long[] shape = {n, data.channels(), data.height(), data.width()};
        try (NpzWriter npz = NpzWriter.create(file)) {
            npz.writeFloat32("x_adv", tally.adversarial(), shape)
                    .writeFloat32("x_clean", tally.clean(), shape)
                    .writeInt64("y", tally.labels(), n)
                    .writeInt64("pred_clean", tally.cleanPredictions(), n)
                    .writeInt64("pred_adv", tally.adversarialPredictions(), n)
                    .writeBool("success", tally.success(), n)
                    .writeFloat32("l2", tally.l2(), n)
                    .writeFloat32("linf", tally.linf(), n)
                    .writeFloat32("l0", tally.l0(), n)
                    .writeFloat32("confidence_adv", tally.confidence(), n);
            if (tally.targeted()) {
                npz.writeInt64("target", tally.targets(), n);
            }
        }
    }

    /** A PNG of the first {@code size} samples, titled with the attack and what it attacked. */
    public static void writeGallery(Path file, AttackTally tally, AttackSource source, int size)
            throws IOException {
        requireImages(tally);
        if (size < 1) {
            throw new IllegalArgumentException("a gallery needs at least 1 sample, got " + size);
        }
        ImageDataset data = tally.data();
        int count = Math.min(size, tally.size());
        int imageSize = Math.toIntExact(data.imageShape().size());
        List<String> names = data.classNames();
        List<ImageGallery.Sample> samples = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int from = i * imageSize;
            samples.add(new ImageGallery.Sample(
                    Arrays.copyOfRange(tally.clean(), from, from + imageSize),
                    Arrays.copyOfRange(tally.adversarial(), from, from + imageSize),
                    name(names, tally.labels()[i]),
                    name(names, tally.cleanPredictions()[i]),
                    name(names, tally.adversarialPredictions()[i]),
                    tally.targeted() ? name(names, tally.targets()[i]) : null));
        }
        new ImageGallery(title(tally, source), data.channels(), data.height(), data.width(),
                COLUMNS, samples).write(file);
    }

    /** The results as JSON (NaN, e.g. a rate without a denominator, written as null). */
    public static void writeJson(Path file, AttackTally tally, AttackSource source)
            throws IOException {
        writeJson(file, tally, source, null, null);
    }

    /**
     * The results as JSON with, under {@code physical}, the destruction rate of each transform
     * (its name, settings, top-1 and top-5 rates with their counts, accuracy on T(clean)).
     *
     * @param physical the destruction rates, or null when none were measured
     * @param physicalModel the classifier they were judged on, e.g. {@code network}
     */
    public static void writeJson(Path file, AttackTally tally, AttackSource source,
            List<DestructionRate> physical, String physicalModel) throws IOException {
        Map<String, Object> results = json(tally, source);
        if (physical != null) {
            Map<String, Object> table = new LinkedHashMap<>();
            table.put("model", physicalModel);
            table.put("transforms", physical.stream().map(AttackFiles::json).toList());
            results.put("physical", table);
        }
        AtomicFiles.write(file, out -> SavedModel.json().writeValue(out, results));
    }

    private static Map<String, Object> json(DestructionRate rate) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", rate.transform());
        json.put("settings", rate.settings());
        json.put("destruction_rate", finite(rate.rate()));
        json.put("destroyed", rate.destroyed());
        json.put("adversarial", rate.adversarial());
        json.put("destruction_rate_top5", finite(rate.rateTop5()));
        json.put("destroyed_top5", rate.destroyedTop5());
        json.put("adversarial_top5", rate.adversarialTop5());
        json.put("transformed_clean_accuracy", finite(rate.transformedCleanAccuracy()));
        json.put("transformed_clean_top5_accuracy", finite(rate.transformedCleanTop5Accuracy()));
        json.put("clean_accuracy", finite(rate.cleanAccuracy()));
        return json;
    }

    private static Map<String, Object> json(AttackTally tally, AttackSource source) {
        Attack attack = tally.job().attack();
        Map<String, Object> attackJson = new LinkedHashMap<>();
        attackJson.put("name", attack.name());
        attackJson.put("settings", attack.settings());
        attackJson.put("targeted", tally.targeted());
        attackJson.put("target_mode", tally.targeted() ? tally.job().targets().id() : null);
        Map<String, Object> perturbation = new LinkedHashMap<>();
        perturbation.put("l2", json(tally.overSuccesses(tally.l2())));
        perturbation.put("linf", json(tally.overSuccesses(tally.linf())));
        perturbation.put("l0", json(tally.overSuccesses(tally.l0())));
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("model", source.model().toString());
        results.put("dataset", tally.data().name());
        results.put("split", source.split());
        results.put("attack", attackJson);
        results.put("black_box", source.blackBox());
        results.put("defense", source.defense());
        results.put("n", tally.size());
        results.put("clean_accuracy", tally.cleanAccuracy());
        results.put("robust_accuracy", tally.robustAccuracy());
        results.put("robust_accuracy_stderr", tally.robustAccuracyStderr());
        results.put("adversarial_accuracy", tally.adversarialAccuracy());
        results.put("success_rate", finite(tally.successRate()));
        results.put("success_denominator", tally.successDenominator());
        results.put("successes", tally.successes());
        results.put("perturbation", perturbation);
        results.put("adversarial_confidence", finite(tally.meanAdversarialConfidence()));
        results.put("gradients", tally.gradients());
        results.put("queries", tally.queries());
        if (tally.sampleQueries() != null) {
            Map<String, Object> perSample = new LinkedHashMap<>();
            perSample.put("over_successes", json(tally.overSuccesses(tally.sampleQueries())));
            long[] budgets = queryBudgets(tally);
            double[] rates = tally.successWithin(budgets);
            List<Map<String, Object>> curve = new ArrayList<>();
            for (int b = 0; b < budgets.length; b++) {
                Map<String, Object> point = new LinkedHashMap<>();
                point.put("queries", budgets[b]);
                point.put("success_rate", finite(rates[b]));
                curve.add(point);
            }
            perSample.put("success_within", curve);
            results.put("queries_per_sample", perSample);
        }
        results.put("seconds", tally.seconds());
        results.put("seed", tally.job().seed());
        results.put("batch_size", tally.job().batchSize());
        return results;
    }

    /**
     * Writes the success-against-queries chart of a query attack (one that counts queries per
     * sample, {@link AttackTally#sampleQueries()}).
     *
     * @throws IllegalArgumentException if the attack does not count queries per sample
     */
    public static void writeQueryChart(Path file, AttackTally tally) throws IOException {
        if (tally.sampleQueries() == null) {
            throw new IllegalArgumentException(tally.job().attack().name()
                    + " does not count queries per sample; only query attacks have this chart");
        }
        long[] budgets = queryBudgets(tally);
        byte[] png = Charts.successVersusQueries(tally.job().attack().name(), budgets,
                tally.successWithin(budgets));
        AtomicFiles.write(file, out -> out.write(png));
    }

    /** 1, 2, 5, 10, 20, 50, ... up to the largest count any sample spent. */
    private static long[] queryBudgets(AttackTally tally) {
        float most = 1;
        for (float q : tally.sampleQueries()) {
            most = Math.max(most, q);
        }
        List<Long> budgets = new ArrayList<>();
        for (long decade = 1; ; decade *= 10) {
            for (long step : new long[] {1, 2, 5}) {
                budgets.add(decade * step);
                if (decade * step >= most) {
                    return budgets.stream().mapToLong(Long::longValue).toArray();
                }
            }
        }
    }

    private static Map<String, Object> json(PerturbationStats stats) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("median", finite(stats.median()));
        json.put("mean", finite(stats.mean()));
        json.put("max", finite(stats.max()));
        return json;
    }

    private static Double finite(double value) {
        return Double.isFinite(value) ? value : null;
    }

    /** E.g. "pgd linf ε=0.1 targeted on mlp (synthetic test)". */
    private static String title(AttackTally tally, AttackSource source) {
        Attack attack = tally.job().attack();
        Object epsilon = attack.settings().get("epsilon");
        Object norm = attack.settings().get("norm");
        return attack.name() + (norm == null ? "" : " " + norm)
                + (epsilon == null ? "" : " ε=" + epsilon) + (tally.targeted() ? " targeted" : "")
                + " on " + source.model().getFileName() + " (" + tally.data().name() + " "
                + source.split() + ")";
    }

    private static String name(List<String> names, int index) {
        return index >= 0 && index < names.size() ? names.get(index) : Integer.toString(index);
    }

    private static void requireImages(AttackTally tally) {
        if (tally.adversarial() == null) {
            throw new IllegalStateException("the tally kept no images; run the DataSetAttack with"
                    + " keepImages to write them");
        }
    }
}
