package org.parry.detect;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.parry.attack.Attack;
import org.parry.data.ImageDataset;
import org.parry.model.Classifier;

/**
 * Detectors against attacks on a test set, the survey's protocol (Aldahdooh et al. 2022) with
 * Carlini and Wagner's detector-aware attack (AISec 2017).
 * <ol>
 *   <li>The clean-correct test images are the negatives (their clean scores) and the images
 *       attacked.
 *   <li>Oblivious: each attack is crafted once on the classifier alone, and every detector scores
 *       the same examples. The ROC, AUC and TPR at 5% / 1% FPR compare the successful ones (those
 *       that fool the classifier) with the negatives; the detection rate is the share of them
 *       above the detector's own threshold θ, fitted beforehand on clean validation images.
 *   <li>Adaptive: each adaptive attack runs on {@link DetectorAwareClassifier} (f and D as one
 *       (K+1)-class model, success = misclassified and not flagged) for every λ of the settings;
 *       per image the first λ that succeeds is kept, else the first that fools the classifier,
 *       as C&amp;W's search over its constant keeps the best.
 *   <li>Guarded accuracy, over all test images: correct and not flagged when clean, and, when
 *       attacked, still correct or flagged.
 * </ol>
 * Not thread-safe (attacks and classifiers are not).
 */
public final class DetectionEvaluation {

    /**
     * How to run it.
     *
     * @param batchSize images per attack and scoring batch
     * @param lambdas the adaptive attack's weights λ of the detector's hinge, tried in order
     * @param margin κ, in clean standard deviations of the score
     * @param eot draws of a randomized detector's gradient per step
     * @param curvePoints points kept of each ROC curve for the report
     */
    public record Settings(int batchSize, List<Float> lambdas, float margin, int eot,
            int curvePoints) {

        public Settings {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
            }
            lambdas = List.copyOf(lambdas);
            if (lambdas.isEmpty()) {
                throw new IllegalArgumentException("the adaptive attack needs at least one lambda");
            }
        }

        /** λ ∈ {0.1, 1, 10}, κ = 0.5, one draw, 101 curve points, batches of 100. */
        public static Settings defaults() {
            return new Settings(100, List.of(0.1f, 1f, 10f), DetectorAwareClassifier.DEFAULT_MARGIN,
                    1, 101);
        }
    }

    private final Classifier model;
    private final List<CalibratedDetector> detectors;
    private final Settings settings;
    private final Consumer<String> log;

    /**
     * @param model the classifier the detectors guard; the caller owns it
     * @param detectors fitted for {@code model}; the caller owns them
     * @param log a line per finished step
     */
    public DetectionEvaluation(Classifier model, List<CalibratedDetector> detectors,
            Settings settings, Consumer<String> log) {
        this.model = Objects.requireNonNull(model, "model");
        this.detectors = List.copyOf(detectors);
        if (this.detectors.isEmpty()) {
            throw new IllegalArgumentException("a detection evaluation needs at least one"
                    + " detector");
        }
        this.settings = Objects.requireNonNull(settings, "settings");
        this.log = Objects.requireNonNull(log, "log");
    }

    /**
     * Evaluates every detector against every attack on {@code test}.
     *
     * @param oblivious attacks crafted on the classifier alone
     * @param adaptive attacks run against each detector and the classifier together (attacks that
     *     ascend their loss: PGD, FGSM, BIM, APGD-CE)
     */
    public DetectionSummary run(ImageDataset test, List<Attack> oblivious, List<Attack> adaptive) {
        int[] predictions = predictions(test);
        int[] correctIndices = IntStream.range(0, test.size())
                .filter(i -> predictions[i] == test.label(i)).toArray();
        if (correctIndices.length == 0) {
            throw new IllegalArgumentException("model '" + model.name() + "' gets none of the "
                    + test.size() + " test images right: nothing to attack");
        }
        ImageDataset correct = test.select(correctIndices);
        List<float[]> cleanScores = new ArrayList<>();
        List<Double> millis = new ArrayList<>();
        for (CalibratedDetector detector : detectors) {
            long start = System.nanoTime();
            cleanScores.add(CalibratedDetector.scores(detector.detector(), correct,
                    settings.batchSize()));
            millis.add((System.nanoTime() - start) / 1e6 / correct.size());
        }
        List<DetectionResult> results = new ArrayList<>();
        for (Attack attack : oblivious) {
            AdversarialSet crafted = AdversarialSet.craft(model, correct, attack,
                    settings.batchSize());
            for (int d = 0; d < detectors.size(); d++) {
                float[] scores = scores(detectors.get(d), crafted.pixels(), correct);
                results.add(result(detectors.get(d), attack.name(), DetectionResult.OBLIVIOUS,
                        cleanScores.get(d), scores, crafted.fooled(), test.size(), millis.get(d)));
            }
            log.accept(attack.name() + ": " + crafted.count() + " of " + correct.size()
                    + " fool the classifier");
        }
        for (int d = 0; d < detectors.size(); d++) {
            for (Attack attack : adaptive) {
                CalibratedDetector detector = detectors.get(d);
                AdversarialSet crafted = adaptive(correct, attack, detector);
                float[] scores = scores(detector, crafted.pixels(), correct);
                DetectionResult result = result(detector, attack.name(),
                        DetectionResult.ADAPTIVE, cleanScores.get(d), scores, crafted.fooled(),
                        test.size(), millis.get(d));
                results.add(result);
                log.accept(attack.name() + " against " + detector.detector().name() + ": "
                        + crafted.count() + " fool the classifier, detection rate "
                        + String.format("%.3f", result.detectionRate()));
            }
        }
        List<CalibratedDetector.Card> cards = detectors.stream().map(CalibratedDetector::card)
                .toList();
        return new DetectionSummary(detectors.get(0).card().falsePositiveRate(), correct.size(),
                cards, results);
    }

    /**
     * The adaptive attack at each λ. Per image the best outcome is kept: the first λ that evades
     * (misclassified and not flagged), else the first that fools the classifier (and is flagged),
     * else the last λ's example.
     */
    private AdversarialSet adaptive(ImageDataset correct, Attack attack, CalibratedDetector detector) {
        AdversarialSet kept = null;
        int[] outcome = new int[correct.size()]; // 0 neither, 1 fooled but flagged, 2 evaded
        int imageSize = (int) correct.imageShape().size();
        for (float lambda : settings.lambdas()) {
            DetectorAwareClassifier aware = new DetectorAwareClassifier(model, detector, lambda,
                    settings.margin(), settings.eot());
            AdversarialSet crafted = AdversarialSet.craft(aware, correct, attack,
                    settings.batchSize());
            boolean[] flags = flags(detector, crafted.pixels(), correct);
            if (kept == null) {
                kept = crafted;
            }
            for (int i = 0; i < outcome.length; i++) {
                int now = !crafted.fooled()[i] ? 0 : flags[i] ? 1 : 2;
                if (now > outcome[i] || now == 0 && outcome[i] == 0) {
                    System.arraycopy(crafted.pixels(), i * imageSize, kept.pixels(),
                            i * imageSize, imageSize);
                    kept.fooled()[i] = crafted.fooled()[i];
                    outcome[i] = now;
                }
            }
        }
        return kept;
    }

    private float[] scores(CalibratedDetector detector, float[] adversarial, ImageDataset like) {
        return CalibratedDetector.scores(detector.detector(), adversarial, like.imageShape(),
                settings.batchSize());
    }

    private boolean[] flags(CalibratedDetector detector, float[] adversarial, ImageDataset like) {
        float[] scores = scores(detector, adversarial, like);
        boolean[] flags = new boolean[scores.length];
        for (int i = 0; i < scores.length; i++) {
            flags[i] = scores[i] > detector.threshold();
        }
        return flags;
    }

    private DetectionResult result(CalibratedDetector detector, String attack, String mode,
            float[] clean, float[] adversarial, boolean[] fooled, int testSize, double millis) {
        float threshold = detector.threshold();
        int n = clean.length;
        int successful = 0;
        int flaggedSuccessful = 0;
        int flaggedAll = 0;
        int cleanFlagged = 0;
        int guarded = 0;
        int undefended = 0;
        for (int i = 0; i < n; i++) {
            boolean cleanFlag = clean[i] > threshold;
            boolean advFlag = adversarial[i] > threshold;
            cleanFlagged += cleanFlag ? 1 : 0;
            flaggedAll += advFlag ? 1 : 0;
            if (fooled[i]) {
                successful++;
                flaggedSuccessful += advFlag ? 1 : 0;
            } else {
                undefended++;
            }
            if (!cleanFlag && (!fooled[i] || advFlag)) {
                guarded++;
            }
        }
        float[] positives = new float[successful];
        for (int i = 0, k = 0; i < n; i++) {
            if (fooled[i]) {
                positives[k++] = adversarial[i];
            }
        }
        double auc = Double.NaN;
        double tpr5 = Double.NaN;
        double tpr1 = Double.NaN;
        Roc.Curve curve = new Roc.Curve(new double[0], new double[0]);
        if (successful > 0) {
            Roc roc = new Roc(clean, positives);
            auc = roc.auc();
            tpr5 = roc.truePositiveRateAt(0.05);
            tpr1 = roc.truePositiveRateAt(0.01);
            curve = roc.curve(settings.curvePoints());
        }
        return new DetectionResult(detector.detector().name(), attack, mode, threshold,
                (double) cleanFlagged / n, auc, tpr5, tpr1,
                successful == 0 ? Double.NaN : (double) flaggedSuccessful / successful,
                (double) flaggedAll / n, n, successful, (double) guarded / testSize,
                (double) undefended / testSize, curve, millis,
                !mode.equals(DetectionResult.ADAPTIVE) ? "none"
                        : detector.detector().differentiable() ? "exact" : "bpda");
    }

    private int[] predictions(ImageDataset test) {
        int[] predictions = new int[test.size()];
        int batchSize = settings.batchSize();
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int b = 0; b < test.numBatches(batchSize); b++) {
                try (NDManager step = manager.newSubManager()) {
                    int[] batch = model.logits(test.batchNumber(step, b, batchSize).x()).argMax(1)
                            .toType(DataType.INT32, false).toIntArray();
                    System.arraycopy(batch, 0, predictions, b * batchSize, batch.length);
                }
            }
        }
        return predictions;
    }
}
