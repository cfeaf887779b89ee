package org.parry.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.parry.defense.DefenseOptions;
import org.parry.defense.purify.BitDepthReduction;
import org.parry.defense.purify.MedianSmoothing;
import org.parry.model.Bounds;
import org.parry.model.Classifier;
import org.parry.model.Stage;

/**
 * Feature squeezing (Xu, Evans and Qi, "Feature squeezing: detecting adversarial examples in deep
 * neural networks", NDSS 2018): squeezers s that remove detail an image does not need (fewer
 * colour levels, a median filter) change the classifier's output on a clean image little, and on
 * an adversarial one, whose perturbation they partly undo, a lot. The score is the largest L1
 * distance between the prediction on x and on a squeezed x,
 * <pre>
 *   score(x) = max_s ‖ softmax(f(x)) − softmax(f(s(x))) ‖₁      ∈ [0, 2]
 * </pre>
 * thresholded at a false-positive rate on clean data (the paper: 5 %). The squeezers are the
 * pipeline stages {@link BitDepthReduction} and {@link MedianSmoothing}; the defaults are the
 * paper's joint MNIST squeezers, 1-bit depth and a 2 × 2 median (its CIFAR-10 ones are 5 bits, a
 * 2 × 2 median and non-local means, which Parry does not have). Nothing is learned: fitting only
 * records the squeezers. Costs one forward pass of N·(1 + squeezers) images.
 *
 * <p>Gradients: bit-depth reduction is piecewise constant, so autograd through it gives zero.
 * {@link #scoresForGradient} splices each squeezer that is not {@link Stage#differentiable()}
 * into the graph by BPDA (Athalye, Carlini and Wagner, ICML 2018) with its {@link Stage#standIn}
 * (the identity): the value is s(x), the gradient that of the stand-in, as He et al. (WOOT 2017)
 * attack the squeezers. The median selects a pixel and is differentiated by autograd. The
 * classifier's logits enter the graph when it is one of Parry's own models, whose {@link
 * Classifier#logits} PyTorch records inside the caller's collector.
 */
public final class FeatureSqueezing implements Detector {

    /** The registry name. */
    public static final String NAME = "feature-squeezing";

    private final Classifier model;
    private final int bits;
    private final int median;
    private final List<Stage> squeezers;

    /**
     * @param model f, which the detector uses but does not close
     * @param bits the bit depth of the bit-depth squeezer, 1 to 8, or 0 for none
     * @param median the window of the median squeezer, 2 to 9, or 0 for none
     * @throws IllegalArgumentException for a bad value, or when both are 0
     */
    public FeatureSqueezing(Classifier model, int bits, int median) {
        this.model = Objects.requireNonNull(model, "model");
        if (bits == 0 && median == 0) {
            throw new IllegalArgumentException(NAME + ": no squeezer left (bits=0 and median=0);"
                    + " keep at least one, e.g. bits=1 (MNIST) or bits=5 (CIFAR-10)");
        }
        List<Stage> stages = new ArrayList<>();
        if (bits != 0) {
            stages.add(new BitDepthReduction(bits));
        }
        if (median != 0) {
            stages.add(new MedianSmoothing(median));
        }
        this.bits = bits;
        this.median = median;
        this.squeezers = List.copyOf(stages);
    }

    /** The paper's joint MNIST squeezers: 1-bit depth and a 2 × 2 median. */
    public static FeatureSqueezing mnist(Classifier model) {
        return new FeatureSqueezing(model, 1, 2);
    }

    /**
     * The user's settings.
     *
     * @param bits the bit depth of the first squeezer (0: none)
     * @param median the window of the median squeezer (0: none)
     */
    record Settings(int bits, int median) {

        static Settings of(DefenseOptions options) {
            return new Settings(options.getInt("bits", 1), options.getInt("median", 2));
        }
    }

    static Detector fit(FitData data, Settings settings) {
        return new FeatureSqueezing(data.model(), settings.bits(), settings.median());
    }

    static Detector load(Path directory, Classifier model, Map<String, Object> settings)
            throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> arrays = DetectorArrays.load(directory, manager);
            return new FeatureSqueezing(model,
                    DetectorArrays.require(arrays, "bits", directory).getInt(),
                    DetectorArrays.require(arrays, "median", directory).getInt());
        }
    }

    /** The squeezers, in the order they are tried. */
    public List<Stage> squeezers() {
        return squeezers;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("bits", bits);
        settings.put("median", median);
        return settings;
    }

    @Override
    public NDArray scores(NDArray x) {
        return score(x, false);
    }

    /** False when a squeezer is not differentiable (bit depth): its gradient is BPDA's. */
    @Override
    public boolean differentiable() {
        return squeezers.stream().allMatch(Stage::differentiable);
    }

    @Override
    public NDArray scoresForGradient(NDArray x) {
        return score(x, true);
    }

    private NDArray score(NDArray x, boolean forGradient) {
        Bounds bounds = model.bounds();
        NDList inputs = new NDList(x);
        for (Stage squeezer : squeezers) {
            inputs.add(forGradient ? squeezedForGradient(squeezer, x, bounds)
                    : squeezer.apply(x, bounds, new SplittableRandom(0)));
        }
        // One forward pass over x and its squeezed copies.
        NDArray probabilities = model.logits(NDArrays.concat(inputs, 0)).softmax(1);
        long n = x.getShape().get(0);
        NDArray clean = probabilities.get("0:" + n);
        NDList distances = new NDList();
        for (int s = 1; s <= squeezers.size(); s++) {
            distances.add(clean.sub(probabilities.get(s * n + ":" + (s + 1) * n)).abs()
                    .sum(new int[] {1}));
        }
        return NDArrays.stack(distances, 1).max(new int[] {1});
    }

    /**
     * s(x) in the graph of x: by autograd for a differentiable squeezer, else s(x) + (g(x) −
     * stopGradient(g(x))) with g the squeezer's stand-in, whose value is s(x) to the bit.
     */
    private static NDArray squeezedForGradient(Stage squeezer, NDArray x, Bounds bounds) {
        if (squeezer.differentiable()) {
            return squeezer.apply(x, bounds, new SplittableRandom(0));
        }
        NDArray value = squeezer.apply(x.stopGradient(), bounds, new SplittableRandom(0));
        NDArray standIn = squeezer.standIn(x, bounds);
        return value.add(standIn.sub(standIn.stopGradient()));
    }

    /** Writes the squeezers' settings: nothing else is learned. */
    @Override
    public void save(Path directory) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            arrays.put("bits", manager.create(bits));
            arrays.put("median", manager.create(median));
            DetectorArrays.save(directory, arrays);
        }
    }
}
