package org.parry.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.parry.attack.AttackOptions;
import org.parry.attack.AttackRegistry;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.data.SyntheticDataset;
import org.parry.model.BlockClassifier;
import org.parry.norm.Norm;
import org.parry.testing.TestModels;

/** The serving guard rejects exactly what its detectors flag, and labels the rest as its model. */
class GuardTest {

    private static final BlockClassifier MODEL = TestModels.syntheticCnn();

    @Test
    void theGuardRejectsExactlyWhatItsDetectorsFlagAndLabelsTheRestAsTheModel() throws Exception {
        ImageDataset fitting = SyntheticDataset.generate(200, 10, 1, 28, 28, 21);
        ImageDataset validation = SyntheticDataset.generate(300, 10, 1, 28, 28, 22);
        try (NDManager manager = NDManager.newBaseManager();
                CalibratedDetector strict = CalibratedDetector.fit("max-softmax",
                        FitData.clean(MODEL, fitting, 0), Map.of(), validation, 0.2, 100);
                CalibratedDetector loose = CalibratedDetector.fit("max-softmax",
                        FitData.clean(MODEL, fitting, 0), Map.of(), validation, 0.01, 100)) {
            Batch batch = TestModels.syntheticTest().batch(manager, 0, 100);
            NDArray half = AttackRegistry.create("fgsm", new AttackOptions(Norm.LINF, 0.1f, null,
                    0, Map.of())).run(MODEL, batch.x().get("0:50"),
                    new Misclassification(batch.y().get("0:50"))).adversarial(manager);
            NDArray x = half.concat(batch.x().get("50:100"));
            Guard guard = new Guard(MODEL, List.of(loose, strict));
            List<Guard.Verdict> verdicts = guard.predict(x);
            boolean[] looseFlags = loose.flags(x);
            boolean[] strictFlags = strict.flags(x);
            int[] labels = MODEL.logits(x).argMax(1).toType(DataType.INT32, false).toIntArray();
            int rejected = 0;
            for (int i = 0; i < 100; i++) {
                Guard.Verdict v = verdicts.get(i);
                assertThat(v.rejected()).isEqualTo(looseFlags[i] || strictFlags[i]);
                if (v.rejected()) {
                    rejected++;
                    assertThat(v.label()).isEqualTo(-1);
                    assertThat(v.detector()).isEqualTo("max-softmax");
                    assertThat(v.score()).isGreaterThan(v.threshold());
                    assertThat(v.threshold()).isEqualTo(looseFlags[i] ? loose.threshold()
                            : strict.threshold());
                } else {
                    assertThat(v.label()).isEqualTo(labels[i]);
                }
            }
            System.err.println("guard: rejected " + rejected + " of 100 (50 FGSM, 50 clean)");
            assertThat(rejected).isBetween(1, 99);
            // from four threads at once: the same verdicts
            float[] pixels = x.toFloatArray();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<List<Guard.Verdict>>> futures = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    futures.add(pool.submit(() -> guard.predict(pixels)));
                }
                for (Future<List<Guard.Verdict>> future : futures) {
                    assertThat(future.get()).isEqualTo(verdicts);
                }
            } finally {
                pool.shutdown();
            }
            assertThatThrownBy(() -> guard.predict(new float[783]))
                    .hasMessageContaining("takes images of (1, 28, 28) (784 values each); got 783");
        }
    }
}
