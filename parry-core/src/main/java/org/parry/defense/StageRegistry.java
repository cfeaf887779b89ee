package org.parry.defense;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.parry.defense.purify.BitDepthReduction;
import org.parry.defense.purify.GaussianNoise;
import org.parry.defense.purify.JpegCompression;
import org.parry.defense.purify.MagNet;
import org.parry.defense.purify.MedianSmoothing;
import org.parry.defense.purify.RandomResizePad;
import org.parry.model.Classifier;
import org.parry.model.GradientMode;
import org.parry.model.Pipeline;
import org.parry.model.Stage;

/**
 * Stages in front of a model by name, so that {@code parry evaluate --defense SPEC} and {@code
 * parry attack --defense SPEC} share one spelling with the report: a spec is {@code NAME} or
 * {@code NAME:key=value,key=value}, e.g. {@code bit-depth:bits=4} or {@code jpeg:quality=60}.
 * Every setting has the paper's default, and an unknown setting is an error.
 */
public final class StageRegistry {

    private record Entry(String description, Function<DefenseOptions, Stage> factory) {}

    private static final Map<String, Entry> STAGES = new LinkedHashMap<>();

    static {
        register("bit-depth", "Xu et al. 2018: round each pixel to 2^bits levels (bits=1, the"
                + " paper's MNIST squeezer); not differentiable",
                o -> new BitDepthReduction(o.getInt("bits", 1)));
        register("median", "Xu et al. 2018: k x k median filter, reflected edges (size=2, the"
                + " paper's MNIST squeezer)", o -> new MedianSmoothing(o.getInt("size", 2)));
        register("jpeg", "Guo et al. 2018: JPEG round trip at quality=75; not differentiable",
                o -> new JpegCompression(o.getInt("quality", 75)));
        register("resize-pad", "Xie et al. 2018: random nearest resize to [minScale, 1] of the"
                + " size and random padding back (minScale=" + RandomResizePad.PAPER_SCALE
                + ", the paper's 299/331); random",
                o -> new RandomResizePad(o.getFloat("minScale", RandomResizePad.PAPER_SCALE)));
        register("noise", "Liu et al. 2018: Gaussian noise of sigma=0.1 (of the pixel range) at"
                + " every pass; random", o -> new GaussianNoise(o.getFloat("sigma", 0.1f)));
        register("magnet", "Meng and Chen 2017: MagNet's reformer, clip(AE(x)), from the"
                + " directory dir= a trained MagNet was saved to (random among its autoencoders"
                + " when it has several)", StageRegistry::magnet);
    }

    private static Stage magnet(DefenseOptions options) {
        String directory = options.getString("dir", null);
        if (directory == null) {
            throw new IllegalArgumentException("defense 'magnet' needs dir=PATH, the directory a"
                    + " trained MagNet was saved to, e.g. magnet:dir=runs/magnet");
        }
        try {
            return MagNet.loadReformer(Path.of(directory));
        } catch (IOException e) {
            throw new IllegalArgumentException("defense 'magnet': " + e.getMessage(), e);
        }
    }

    private StageRegistry() {}

    private static void register(String name, String description,
            Function<DefenseOptions, Stage> factory) {
        if (STAGES.putIfAbsent(name, new Entry(description, factory)) != null) {
            throw new IllegalStateException("stage '" + name + "' registered twice");
        }
    }

    /** The registered names, in registration order. */
    public static List<String> names() {
        return List.copyOf(STAGES.keySet());
    }

    /** One line per stage: what it is and its defaults. */
    public static String describe(String name) {
        return entry(name).description();
    }

    /**
     * The stage a spec names, {@code NAME} or {@code NAME:key=value,key=value}.
     *
     * @throws IllegalArgumentException for an unknown name or setting, or a bad value
     */
    public static Stage create(String spec) {
        String text = spec.trim();
        int colon = text.indexOf(':');
        String name = colon < 0 ? text : text.substring(0, colon);
        Map<String, String> settings = new LinkedHashMap<>();
        if (colon >= 0) {
            for (String pair : text.substring(colon + 1).split(",")) {
                int equals = pair.indexOf('=');
                if (equals <= 0) {
                    throw new IllegalArgumentException("defense '" + spec + "': settings are"
                            + " key=value pairs separated by commas, e.g. jpeg:quality=60");
                }
                settings.put(pair.substring(0, equals).trim(), pair.substring(equals + 1).trim());
            }
        }
        DefenseOptions options = new DefenseOptions(null, settings);
        Stage stage = entry(name).factory().apply(options);
        Map<String, String> unread = options.unread();
        if (!unread.isEmpty()) {
            stage.close();
            throw new IllegalArgumentException("defense '" + name + "' has no setting(s) "
                    + unread.keySet() + "; its settings are " + stage.settings().keySet());
        }
        return stage;
    }

    /**
     * The stages of {@code specs}, in order, in front of {@code network}.
     *
     * @param gradients how gradients pass the stages that are not differentiable (the others
     *     always pass by autograd)
     * @param eot draws of the stages' randomness averaged per gradient
     * @param seed seeds the stages' randomness
     * @return the pipeline; {@code network} stays the caller's to close
     */
    public static Pipeline pipeline(Classifier network, List<String> specs, GradientMode gradients,
            int eot, long seed) {
        Pipeline.Builder builder = Pipeline.builder(network).eot(eot).seed(seed);
        for (String spec : specs) {
            Stage stage = create(spec);
            builder.add(stage, stage.differentiable() ? GradientMode.EXACT : gradients);
        }
        return builder.build();
    }

    private static Entry entry(String name) {
        Entry entry = STAGES.get(name);
        if (entry == null) {
            throw new IllegalArgumentException("unknown defense '" + name + "'; choose one of "
                    + names());
        }
        return entry;
    }
}
