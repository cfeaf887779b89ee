package org.parry.defense;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
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
import org.parry.physical.Affine;
import org.parry.physical.Brightness;
import org.parry.physical.ColourShift;
import org.parry.physical.Contrast;
import org.parry.physical.GaussianBlur;
import org.parry.physical.Photo;
import org.parry.physical.Range;

/**
 * Stages in front of a model by name, so that {@code parry evaluate --defense SPEC} and {@code
 * parry attack --defense SPEC} share one spelling with the report: a spec is {@code NAME} or
 * {@code NAME:key=value,key=value}, e.g. {@code bit-depth:bits=4} or {@code jpeg:quality=60}.
 * Every setting has the paper's default, and an unknown setting is an error. The physical-world
 * transforms of {@link org.parry.physical} are stages too, named here with the defenses: as
 * {@code --defense} (with {@code --eot}, an attack that survives them) and as the transforms of a
 * destruction rate. Their settings take a value or a range, {@code brightness:delta=-0.1..0.1},
 * from which each image draws its own.
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
        register("brightness", "Kurakin et al. 2017: x + delta, clipped (delta=0.12 of the pixel"
                + " range; a range FROM..TO draws per image)",
                o -> new Brightness(range(o, "delta", "0.12")));
        register("contrast", "Kurakin et al. 2017: x * factor, clipped (factor=1.3; a range draws"
                + " per image)", o -> new Contrast(range(o, "factor", "1.3")));
        register("blur", "Kurakin et al. 2017: Gaussian blur of sigma=1 pixel, edges replicated (a"
                + " range draws per image)", o -> new GaussianBlur(range(o, "sigma", "1")));
        register("affine", "photo geometry: rotation=0 degrees, scale=1, shift=0 (fraction of the"
                + " size per axis), bilinear; ranges draw per image",
                o -> new Affine(range(o, "rotation", "0"), range(o, "scale", "1"),
                        range(o, "shift", "0")));
        register("colour", "printer colour shift: per-channel gain=0.9..1.1 and offset=-0.05..0.05"
                + " (of the pixel range), drawn per image and channel",
                o -> new ColourShift(range(o, "gain", "0.9..1.1"),
                        range(o, "offset", "-0.05..0.05")));
        register("photo", "print-and-photograph emulation, a random chain colour > affine > blur"
                + " > contrast > brightness > noise; largest rotation=5 degrees, scale=0.05,"
                + " shift=0.03, blur=1, contrast=0.1, brightness=0.05, colour=0.05,"
                + " colourOffset=0.03, noise=0.02 (0 leaves a part out)", StageRegistry::photo);
    }

    private static Range range(DefenseOptions options, String key, String fallback) {
        return Range.parse(key, options.getString(key, fallback));
    }

    /** The standard photo chain with the magnitudes the spec gives. */
    private static Photo photo(DefenseOptions o) {
        Photo.Builder builder = Photo.builder();
        given(o, "rotation", builder::optRotation);
        given(o, "scale", builder::optScale);
        given(o, "shift", builder::optShift);
        given(o, "blur", builder::optBlur);
        given(o, "contrast", builder::optContrast);
        given(o, "brightness", builder::optBrightness);
        given(o, "colour", builder::optColour);
        given(o, "colourOffset", builder::optColourOffset);
        given(o, "noise", builder::optNoise);
        return builder.build();
    }

    private static void given(DefenseOptions options, String key, Consumer<Float> setter) {
        if (options.getString(key, null) != null) {
            setter.accept(options.getFloat(key, 0f));
        }
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
        return entry(name, "stage").description();
    }

    /**
     * The stage a spec names, {@code NAME} or {@code NAME:key=value,key=value}.
     *
     * @throws IllegalArgumentException for an unknown name or setting, or a bad value
     */
    public static Stage create(String spec) {
        return create(spec, "defense");
    }

    /**
     * The stage a spec names, as {@link #create(String)}, with errors that call it a transform
     * (a destruction rate's, {@code parry attack --physical SPEC}).
     */
    public static Stage transform(String spec) {
        return create(spec, "transform");
    }

    private static Stage create(String spec, String kind) {
        String text = spec.trim();
        int colon = text.indexOf(':');
        String name = colon < 0 ? text : text.substring(0, colon);
        Map<String, String> settings = new LinkedHashMap<>();
        if (colon >= 0) {
            for (String pair : text.substring(colon + 1).split(",")) {
                int equals = pair.indexOf('=');
                if (equals <= 0) {
                    throw new IllegalArgumentException(kind + " '" + spec + "': settings are"
                            + " key=value pairs separated by commas, e.g. jpeg:quality=60");
                }
                settings.put(pair.substring(0, equals).trim(), pair.substring(equals + 1).trim());
            }
        }
        DefenseOptions options = new DefenseOptions(null, settings);
        Stage stage = entry(name, kind).factory().apply(options);
        Map<String, String> unread = options.unread();
        if (!unread.isEmpty()) {
            stage.close();
            throw new IllegalArgumentException(kind + " '" + name + "' has no setting(s) "
                    + unread.keySet() + "; its settings are " + options.read());
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

    private static Entry entry(String name, String kind) {
        Entry entry = STAGES.get(name);
        if (entry == null) {
            throw new IllegalArgumentException("unknown " + kind + " '" + name + "'; choose one of "
                    + names());
        }
        return entry;
    }
}
