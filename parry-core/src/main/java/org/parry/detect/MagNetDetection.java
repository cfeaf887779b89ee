package org.parry.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parry.data.ImageDataset;
import org.parry.defense.DefenseOptions;
import org.parry.defense.purify.MagNet;
import org.parry.defense.purify.MagNetDetector;
import org.parry.defense.purify.MagNetSettings;
import org.parry.defense.purify.ProbabilityDivergence;
import org.parry.model.Bounds;
import org.parry.model.Classifier;
import org.parry.train.TrainingListener;

/**
 * MagNet's detectors as one detector (Meng and Chen, "MagNet: a two-pronged defense against
 * adversarial examples", ACM CCS 2017): the reconstruction errors E_2 on AE-I and E_1 on AE-II
 * ({@link org.parry.defense.purify.ReconstructionError}) and, optionally, the Jensen-Shannon
 * divergences between the classifier's softmax at temperature T on x and on AE-I(x) ({@link
 * org.parry.defense.purify.ProbabilityDivergence}). MagNet fits a threshold θ_d per detector at a
 * drop rate on clean validation data and rejects x when any score exceeds its threshold. One
 * score carries that rule:
 * <pre>
 *   score(x) = max_d score_d(x) / θ_d       reject x  ⇔  score(x) > t
 * </pre>
 * At t = 1 this is MagNet's decision exactly (∃ d: score_d(x) > θ_d); any other t scales every
 * θ_d by the same factor, so the threshold {@link CalibratedDetector} fits at a false-positive
 * rate keeps MagNet's per-detector thresholds in their fitted proportions. (A sum of the ratios
 * would not reduce to "any detector exceeds its own"; a maximum of raw scores would compare
 * errors and divergences on unrelated scales.) A θ_d of zero (a detector that scores all clean
 * data 0, like the identity autoencoder's) is taken as the smallest normal float.
 *
 * <p>Fitting trains MagNet ({@link MagNet#train}) on the clean images, a fraction {@code
 * validation} of them held out for the thresholds, with the authors' settings ({@code
 * epochs}=100, {@code batchSize}=256, {@code learningRate}, {@code noise}=0.1, {@code dropRate})
 * and the fit's seed (at 10 epochs on 5,000 MNIST images the autoencoders still reproduce little
 * more than the mean image, and adversarial examples then score below clean ones: measured,
 * AUC 0.002 against FGSM); or {@code dir=PATH} reuses a saved MagNet and its
 * thresholds. {@code temperatures=10,40} adds the divergence detectors (the paper's CIFAR-10
 * defense), their thresholds fitted on the held-out images. The detector's directory holds the
 * MagNet ({@link MagNet#save}) and, through {@link DetectorArrays}, every θ_d. The reconstruction
 * errors are differentiable, so without divergences {@link #scoresForGradient} is exact; the
 * divergences enter it by BPDA (see {@link #differentiable()}).
 */
public final class MagNetDetection implements Detector {

    /** The registry name. */
    public static final String NAME = "magnet";

    private final List<MagNetDetector> detectors;
    private final float[] thresholds;
    private final float[] temperatures;
    private final Map<String, Object> settings;
    private final MagNet owned;

    private MagNetDetection(MagNet view, float[] temperatures, Map<String, Object> settings,
            MagNet owned) {
        this(view.detectors(), view.thresholds(), temperatures, settings, owned);
    }

    private MagNetDetection(List<MagNetDetector> detectors, float[] thresholds,
            float[] temperatures, Map<String, Object> settings, MagNet owned) {
        if (detectors.isEmpty() || detectors.size() != thresholds.length) {
            throw new IllegalArgumentException(NAME + ": need one threshold per detector, got "
                    + thresholds.length + " for " + detectors.size());
        }
        this.detectors = List.copyOf(detectors);
        this.thresholds = thresholds.clone();
        this.temperatures = temperatures.clone();
        this.settings = Map.copyOf(settings);
        this.owned = owned;
    }

    /**
     * A detector from MagNet detectors and their thresholds θ_d, for a MagNet built by hand; it
     * cannot be saved (there is no MagNet to save).
     */
    public static MagNetDetection of(List<MagNetDetector> detectors, float[] thresholds) {
        return new MagNetDetection(detectors, thresholds, new float[0], Map.of(), null);
    }

    /**
     * The user's settings.
     *
     * @param dir a saved MagNet to reuse, or null to train one
     * @param temperatures the divergence detectors' temperatures, comma-separated (empty: none)
     * @param validation the share of the clean images kept for the thresholds
     * @param epochs the autoencoders' training epochs
     * @param batchSize their batch size
     * @param learningRate their learning rate
     * @param noise the denoising noise v
     * @param dropRate each detector's drop rate
     */
    record Settings(String dir, String temperatures, float validation, int epochs, int batchSize,
            float learningRate, float noise, float dropRate) {

        static Settings of(DefenseOptions options) {
            String dir = options.getString("dir", null);
            String temperatures = options.getString("temperatures", "");
            parseTemperatures(temperatures);
            return new Settings(dir, temperatures, options.getFloat("validation", 0.1f),
                    options.getInt("epochs", 100), options.getInt("batchSize", 256),
                    options.getFloat("learningRate", 1e-3f), options.getFloat("noise", 0.1f),
                    options.getFloat("dropRate", 0.001f));
        }
    }

    static Detector fit(FitData data, Settings options) {
        Classifier model = data.model();
        if (!model.bounds().equals(Bounds.UNIT)) {
            throw new IllegalArgumentException(NAME + ": MagNet works on [0, 1] pixels, and model '"
                    + model.name() + "' takes inputs in [" + model.bounds().lower() + ", "
                    + model.bounds().upper() + "]; put its scaling inside the model");
        }
        String directory = options.dir();
        String temperatureList = options.temperatures();
        float[] temperatures = parseTemperatures(temperatureList);
        Map<String, Object> settings = new LinkedHashMap<>();
        MagNet magnet;
        ImageDataset validation;
        if (directory != null) {
            try {
                magnet = MagNet.load(Path.of(directory));
            } catch (IOException e) {
                throw new IllegalArgumentException(NAME + ": dir=" + directory + ": "
                        + e.getMessage(), e);
            }
            validation = data.clean();
            settings.put("dir", directory);
        } else {
            float fraction = options.validation();
            MagNetSettings magnetSettings = MagNetSettings.builder()
                    .optTraining(MagNetSettings.defaultTraining()
                            .optEpochs(options.epochs())
                            .optBatchSize(options.batchSize())
                            .optLearningRate(options.learningRate())
                            .optSeed(data.seed()).build())
                    .optNoise(options.noise())
                    .optDropRate(options.dropRate()).build();
            ImageDataset[] split = split(data.clean(), fraction, data.seed());
            validation = split[1];
            magnet = MagNet.train(split[0], validation, magnetSettings, TrainingListener.NONE);
            settings.put("validation", fraction);
        }
        try {
            if (!magnet.imageShape().equals(model.inputShape())) {
                throw new IllegalArgumentException(NAME + ": the MagNet takes images of shape "
                        + magnet.imageShape() + ", model '" + model.name() + "' takes "
                        + model.inputShape());
            }
            settings.put("temperatures", temperatureList);
            settings.put("epochs", magnet.settings().training().epochs());
            settings.put("batchSize", magnet.settings().training().batchSize());
            settings.put("learningRate", magnet.settings().training().learningRate());
            settings.put("noise", magnet.settings().noise());
            settings.put("dropRate", magnet.settings().dropRate());
            MagNet view = temperatures.length == 0 ? magnet
                    : magnet.withDivergence(model, validation, temperatures);
            return new MagNetDetection(view, temperatures, settings, magnet);
        } catch (RuntimeException e) {
            magnet.close();
            throw e;
        }
    }

    static Detector load(Path directory, Classifier model, Map<String, Object> settings)
            throws IOException {
        float[] thresholds;
        float[] temperatures;
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> arrays = DetectorArrays.load(directory, manager);
            thresholds = DetectorArrays.require(arrays, "thresholds", directory).toFloatArray();
            NDArray saved = arrays.get("temperatures");
            temperatures = saved == null ? new float[0] : saved.toFloatArray();
        }
        MagNet magnet = MagNet.load(directory);
        try {
            MagNet view = temperatures.length == 0 ? magnet : magnet.withDivergence(model,
                    temperatures, Arrays.copyOfRange(thresholds, magnet.detectors().size(),
                            thresholds.length));
            return new MagNetDetection(view.detectors(), thresholds, temperatures, settings,
                    magnet);
        } catch (RuntimeException e) {
            magnet.close();
            throw e;
        }
    }

    /** A shuffled split: the first part for training, the last {@code fraction} held out. */
    private static ImageDataset[] split(ImageDataset clean, float fraction, long seed) {
        if (!(fraction > 0f && fraction < 1f)) {
            throw new IllegalArgumentException(NAME + ": validation must be in (0, 1) (the"
                    + " fraction of the clean images held out for the thresholds), got "
                    + fraction);
        }
        int held = Math.round(clean.size() * fraction);
        if (held < 1 || held >= clean.size()) {
            throw new IllegalArgumentException(NAME + ": validation=" + fraction + " of "
                    + clean.size() + " clean images leaves no images to train or to validate;"
                    + " fit on more images");
        }
        ImageDataset shuffled = clean.shuffled(seed);
        int[] train = new int[clean.size() - held];
        int[] validation = new int[held];
        Arrays.setAll(train, i -> i);
        Arrays.setAll(validation, i -> train.length + i);
        return new ImageDataset[] {shuffled.select(train), shuffled.select(validation)};
    }

    private static float[] parseTemperatures(String text) {
        if (text.isBlank()) {
            return new float[0];
        }
        String[] parts = text.split("[,;]");
        float[] temperatures = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                temperatures[i] = Float.parseFloat(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(NAME + ": temperatures=" + text + " is not a"
                        + " list of numbers; give e.g. temperatures=10,40 (the paper's CIFAR-10"
                        + " detectors)");
            }
        }
        return temperatures;
    }

    /** MagNet's detectors, in the order of {@link #thresholds()}. */
    public List<MagNetDetector> detectors() {
        return detectors;
    }

    /** θ_d per detector. */
    public float[] thresholds() {
        return thresholds.clone();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Object> settings() {
        return settings;
    }

    @Override
    public NDArray scores(NDArray x) {
        return ratios(x, false);
    }

    /**
     * False with divergence detectors: {@link ProbabilityDivergence} computes in float64, a cast
     * that cuts the autograd graph, so {@link #scoresForGradient} splices its value with the
     * float32 divergence as BPDA stand-in.
     */
    @Override
    public boolean differentiable() {
        return detectors.stream().noneMatch(d -> d instanceof ProbabilityDivergence);
    }

    @Override
    public NDArray scoresForGradient(NDArray x) {
        return ratios(x, true);
    }

    private NDArray ratios(NDArray x, boolean forGradient) {
        NDList ratios = new NDList();
        for (int d = 0; d < detectors.size(); d++) {
            MagNetDetector detector = detectors.get(d);
            NDArray score = forGradient && detector instanceof ProbabilityDivergence divergence
                    ? spliced(divergence, x) : detector.scores(x);
            ratios.add(score.div(Math.max(thresholds[d], Float.MIN_NORMAL)));
        }
        return NDArrays.stack(ratios, 1).max(new int[] {1});
    }

    /** The divergence's value, with the gradient of its float32 form: v + (g − stopGradient(g)). */
    private static NDArray spliced(ProbabilityDivergence divergence, NDArray x) {
        Classifier model = divergence.classifier();
        NDArray standIn = ProbabilityDivergence.jensenShannonInGraph(model.logits(x),
                model.logits(divergence.autoencoder().reconstruct(x)), divergence.temperature());
        return divergence.scores(x.stopGradient()).add(standIn.sub(standIn.stopGradient()));
    }

    /** Writes the MagNet and, through {@link DetectorArrays}, every θ_d and each T (if any). */
    @Override
    public void save(Path directory) throws IOException {
        if (owned == null) {
            throw new IllegalStateException(NAME + ": a detector built from MagNet detectors"
                    + " alone has no MagNet to save; fit it (DetectorRegistry.fit(\"magnet\", ...))");
        }
        owned.save(directory);
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            arrays.put("thresholds", manager.create(thresholds));
            if (temperatures.length > 0) {
                arrays.put("temperatures", manager.create(temperatures));
            }
            DetectorArrays.save(directory, arrays);
        }
    }

    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }
}
