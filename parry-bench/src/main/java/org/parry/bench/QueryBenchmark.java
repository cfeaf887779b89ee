package org.parry.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parry.attack.Attack;
import org.parry.attack.AttackOptions;
import org.parry.attack.AttackRegistry;
import org.parry.attack.AttackResult;
import org.parry.attack.OnePixel;
import org.parry.criterion.Misclassification;
import org.parry.model.BlockClassifier;
import org.parry.norm.Norm;

/**
 * Query attacks are forward-bound, so their speed is judged against the model's raw batched forward
 * rate, measured side by side in the same run: queries per second of the attack over images per
 * second of {@code logits} at the batch the attack queries with (the faster of the raw rates
 * measured before and after the attack, as the first passes of a model can run slower). Square (L∞, 100 steps) runs on
 * {@value #BATCH} images with ε = 1e-4 on a fresh small-cnn and its own predictions as labels, so
 * that no sample breaks and every sample runs every step; one-pixel (d = 1, population 400) on
 * {@value #PIXEL_IMAGES} images, whose {@value #PIXEL_IMAGES} × 400 children per generation are
 * queried in forward passes of {@link OnePixel#queryBatch} images. The raw rate at batch 64, 256,
 * 1,024 and 4,096 shows why one-pixel does not query a whole generation at once.
 */
public final class QueryBenchmark implements Benchmark {

    private static final int BATCH = 256;
    private static final int PIXEL_IMAGES = 8;

    @Override
    public String name() {
        return "query";
    }

    @Override
    public String description() {
        return "square and one-pixel queries/s vs the raw batched forward rate (small-cnn, 28x28)";
    }

    @Override
    public Map<String, Object> run(BenchContext context) throws Exception {
        Table table = new Table("attack", "batch", "raw forward images/s", "attack queries/s",
                "ratio");
        List<Map<String, Object>> rows = new ArrayList<>();
        try (BlockClassifier classifier = Models.initialized("small-cnn", Models.MNIST, 10, 42);
                NDManager data = NDManager.newBaseManager()) {
            int steps = context.quick() ? 20 : 100;
            rows.add(measure(context, table, classifier, data, "square", BATCH,
                    new AttackOptions(Norm.LINF, 1e-4f, steps, 0, Map.of()), BATCH));
            int generations = context.quick() ? 3 : 10;
            rows.add(measure(context, table, classifier, data, "one-pixel", PIXEL_IMAGES,
                    new AttackOptions(null, null, generations, 0, Map.of()),
                    Math.min(PIXEL_IMAGES * 400, OnePixel.queryBatch(Models.MNIST.size()))));
        }
        table.print(context.out());
        context.out().println("  target: every query batch in one forward call, so the ratio"
                + " stays near 1");
        Table sweep = new Table("forward batch", "images/s");
        Map<String, Object> rates = new LinkedHashMap<>();
        try (BlockClassifier classifier = Models.initialized("small-cnn", Models.MNIST, 10, 42);
                NDManager data = NDManager.newBaseManager()) {
            for (int batch : new int[] {64, 256, 1024, 4096}) {
                NDArray probe = data.randomUniform(0f, 1f, new Shape(batch).addAll(Models.MNIST));
                Stats rate = context.timing(3).measure(() -> {
                    try (NDManager step = data.newSubManager()) {
                        step.tempAttachAll(probe);
                        classifier.logits(probe);
                    }
                }).rate(batch);
                sweep.row(Integer.toString(batch), String.format("%.0f", rate.median()));
                rates.put(Integer.toString(batch), rate.toJson());
            }
        }
        sweep.print(context.out());
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("attacks", rows);
        json.put("forward_images_per_second_by_batch", rates);
        return json;
    }

    /**
     * Times {@code name} on {@code images} inputs against {@code logits} on {@code forwardBatch}
     * inputs, the batch the attack queries with.
     */
    private static Map<String, Object> measure(BenchContext context, Table table,
            BlockClassifier classifier, NDManager data, String name, int images,
            AttackOptions options, int forwardBatch) throws Exception {
        NDArray probe = data.randomUniform(0f, 1f, new Shape(forwardBatch).addAll(Models.MNIST));
        Timing.Operation forward = () -> {
            try (NDManager step = data.newSubManager()) {
                step.tempAttachAll(probe);
                classifier.logits(probe);
            }
        };
        Timing.Result before = context.timing(20).measure(forward);
        NDArray x = data.randomUniform(0f, 1f, new Shape(images).addAll(Models.MNIST));
        NDArray y = classifier.logits(x).argMax(1).toType(DataType.INT64, false);
        Attack attack = AttackRegistry.create(name, options);
        long[] queries = new long[1];
        Timing.Result attacked = context.timing(1).measure(() -> {
            AttackResult result = attack.run(classifier, x, new Misclassification(y));
            queries[0] = result.queries();
        });
        Timing.Result after = context.timing(20).measure(forward);
        // the faster of the raw rates measured before and after the attack: the ratio is then
        // the attack's worst case
        Timing.Result raw = before.rate(forwardBatch).median() >= after.rate(forwardBatch).median()
                ? before : after;
        double rawRate = raw.rate(forwardBatch).median();
        double attackRate = attacked.rate(queries[0]).median();
        table.row(name, Integer.toString(forwardBatch), String.format("%.0f", rawRate),
                String.format("%.0f", attackRate), String.format("%.2f", attackRate / rawRate));
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("attack", name);
        row.put("settings", attack.settings());
        row.put("forward_batch", forwardBatch);
        row.put("queries_per_run", queries[0]);
        row.put("raw_images_per_second", raw.rate(forwardBatch).toJson());
        row.put("raw_images_per_second_before", before.rate(forwardBatch).toJson());
        row.put("raw_images_per_second_after", after.rate(forwardBatch).toJson());
        row.put("attack_queries_per_second", attacked.rate(queries[0]).toJson());
        row.put("ratio", attackRate / rawRate);
        return row;
    }
}
