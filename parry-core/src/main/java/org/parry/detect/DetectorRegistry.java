package org.parry.detect;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.parry.defense.DefenseOptions;
import org.parry.model.Classifier;

/**
 * Detectors by name, so that {@code parry detect fit --detector NAME [NAME.key=value ...]}, the
 * detector's card and the report share one spelling. Every setting has the paper's default; a
 * setting the detector does not read is an error.
 */
public final class DetectorRegistry {

    /** Fits a detector from the data and the settings read from the user's. */
    @FunctionalInterface
    public interface Fitter {
        Detector fit(FitData data, DefenseOptions options);
    }

    /** Fits a detector from the data and its parsed settings. */
    @FunctionalInterface
    interface Fit<S> {
        Detector fit(FitData data, S settings);
    }

    /** Reads a fitted detector back from what {@link Detector#save} wrote. */
    @FunctionalInterface
    public interface Loader {
        Detector load(Path directory, Classifier model, Map<String, Object> settings)
                throws IOException;
    }

    /**
     * A detector's entry.
     *
     * @param description one line: paper, what it scores, its defaults
     * @param supervised whether it needs adversarial examples to fit
     */
    public record Entry(String description, boolean supervised, Fitter fitter, Loader loader) {}

    private static final Map<String, Entry> DETECTORS = new LinkedHashMap<>();

    static {
        // One register(...) call per detector, in the order the help lists them.
        register("max-softmax", "Hendrycks and Gimpel 2017: minus the largest softmax"
                + " probability; nothing to fit (the baseline)", false, options -> null,
                (data, none) -> new MaxSoftmax(data.model()),
                (directory, model, settings) -> new MaxSoftmax(model));
        register(KernelDensityUncertainty.NAME, KernelDensityUncertainty.DESCRIPTION, true,
                KernelDensityUncertainty.Settings::of, KernelDensityUncertainty::fit,
                KernelDensityUncertainty::load);
        register(LocalIntrinsicDimensionality.NAME, LocalIntrinsicDimensionality.DESCRIPTION,
                true, LocalIntrinsicDimensionality.Settings::of, LocalIntrinsicDimensionality::fit,
                LocalIntrinsicDimensionality::load);
        register(Mahalanobis.NAME, Mahalanobis.DESCRIPTION, false, Mahalanobis.Settings::of,
                Mahalanobis::fit, Mahalanobis::load);
        register(FeatureSqueezing.NAME, "Xu et al. 2018: max L1 distance between the"
                + " predictions on x and on squeezed x (bits=1 bit depth, median=2 window: the"
                + " paper's MNIST squeezers; 0 turns one off)", false, FeatureSqueezing.Settings::of,
                FeatureSqueezing::fit,
                FeatureSqueezing::load);
        register(MagNetDetection.NAME, "Meng and Chen 2017: largest ratio of MagNet's"
                + " reconstruction errors (and temperatures=T,... divergences) to their"
                + " drop-rate thresholds; trains MagNet's autoencoders (epochs=100, the paper's) or reuses"
                + " dir=PATH", false, MagNetDetection.Settings::of, MagNetDetection::fit,
                MagNetDetection::load);
        register(NaturalSceneStatistics.NAME, "Kherchouche et al. 2020: RBF-SVM on BRISQUE"
                + " natural-scene statistics (MSCN, GGD/AGGD fits, 2 scales), clean vs adversarial"
                + " (c=1, gamma=scale, samples=1000 per set)", true,
                NaturalSceneStatistics.Settings::of, NaturalSceneStatistics::fit,
                NaturalSceneStatistics::load);
        register(DeepNeuralRejection.NAME, "Sotgiu et al. 2020: minus the best class score of a"
                + " combiner RBF-SVM over one-vs-rest RBF-SVMs on the last three stages' features"
                + " (c=1, gamma=scale, samples=1000)", false,
                DeepNeuralRejection.Settings::of, DeepNeuralRejection::fit,
                DeepNeuralRejection::load);
        register(NeuralInvariantChecking.NAME, NeuralInvariantChecking.DESCRIPTION, false,
                NeuralInvariantChecking.Settings::of, NeuralInvariantChecking::fit,
                NeuralInvariantChecking::load);
    }

    private DetectorRegistry() {}

    /**
     * Adds a detector. Its settings are parsed first, so that a misspelt setting is refused
     * before any fitting.
     */
    static <S> void register(String name, String description, boolean supervised,
            Function<DefenseOptions, S> parse, Fit<S> fit, Loader loader) {
        Fitter fitter = (data, options) -> {
            S settings = parse.apply(options);
            Map<String, String> unread = options.unread();
            if (!unread.isEmpty()) {
                throw new IllegalArgumentException("detector '" + name + "' has no setting "
                        + unread.keySet() + "; its settings are " + options.read());
            }
            return fit.fit(data, settings);
        };
        if (DETECTORS.putIfAbsent(name, new Entry(description, supervised, fitter, loader))
                != null) {
            throw new IllegalStateException("detector '" + name + "' registered twice");
        }
    }

    /** The registered names, in the order of registration. */
    public static Set<String> names() {
        return DETECTORS.keySet();
    }

    /** A detector's entry. */
    public static Entry entry(String name) {
        Entry entry = DETECTORS.get(name);
        if (entry == null) {
            throw new IllegalArgumentException("unknown detector '" + name + "'; known: "
                    + String.join(", ", DETECTORS.keySet()));
        }
        return entry;
    }

    /**
     * Fits detector {@code name}.
     *
     * @param settings the detector's own settings, keys without the {@code NAME.} prefix
     */
    public static Detector fit(String name, FitData data, Map<String, String> settings) {
        Entry entry = entry(name);
        if (entry.supervised()) {
            data.requireAdversarial(name);
        }
        return entry.fitter().fit(data, new DefenseOptions(null, settings));
    }

    /** Loads detector {@code name} saved in {@code directory} for {@code model}. */
    public static Detector load(String name, Path directory, Classifier model,
            Map<String, Object> settings) throws IOException {
        return entry(name).loader().load(directory, model, settings);
    }
}
