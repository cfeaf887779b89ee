package org.parry.defense;

import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parry.model.Classifier;
import org.parry.model.Models;
import org.parry.train.StandardObjective;
import org.parry.train.TrainingObjective;

/**
 * Training objectives by name, so that {@code parry train --defense NAME [--eps E]
 * [NAME.key=value ...]}, model cards and the defense table share one spelling. Every setting has a
 * default taken from the paper (or from the calibrated Fashion-MNIST runs where the paper's does
 * not transfer), and an unknown setting is an error.
 */
public final class DefenseRegistry {

    /** The radius used when {@code --eps} is not given: Parry's Fashion-MNIST budget. */
    public static final float DEFAULT_EPSILON = 0.1f;

    private interface Factory {
        TrainingObjective create(DefenseOptions options, Shape inputShape) throws IOException;
    }

    private record Entry(String description, boolean usesEpsilon, Factory factory) {}

    private static final Map<String, Entry> DEFENSES = new LinkedHashMap<>();

    static {
        register("standard", "cross-entropy on clean images (no defense)", false,
                (o, shape) -> new StandardObjective());
        register("fgsm-mixed", "Goodfellow et al. 2015: 0.5 CE(x) + 0.5 CE(FGSM(x)); labels=predicted",
                true, (o, shape) -> new FgsmAdversarialTraining(epsilon(o, "fgsm-mixed"),
                        o.getFloat("cleanWeight", 0.5f),
                        TrainingLabels.parse(o.getString("labels", "predicted"))));
        register("pgd-at", "Madry et al. 2018: train on PGD (10 steps of eps/4, random start)", true,
                (o, shape) -> {
                    float epsilon = epsilon(o, "pgd-at");
                    return new PgdAdversarialTraining(epsilon, o.getFloat("stepSize", epsilon / 4f),
                            o.getInt("steps", 10),
                            TrainingLabels.parse(o.getString("labels", "true")));
                });
        register("fgsm-rs", "Wong et al. 2020: one FGSM step of 1.25 eps from a random start;"
                + " bag-of-tricks options start=, maskRatio=, firstLayerPenalty=", true,
                (o, shape) -> {
                    float epsilon = epsilon(o, "fgsm-rs");
                    return new FastAdversarialTraining(epsilon,
                            o.getFloat("stepSize", 1.25f * epsilon),
                            FastStart.parse(o.getString("start", "random")),
                            o.getFloat("maskRatio", 0.4f), o.getFloat("firstLayerPenalty", 0f),
                            TrainingLabels.parse(o.getString("labels", "true")));
                });
        register("fat", "Zhang et al. 2020: early-stopped PGD (10 steps of eps/4, dynamic tau)", true,
                (o, shape) -> {
                    float epsilon = epsilon(o, "fat");
                    String tau = o.getString("tau", "dynamic");
                    return new FriendlyAdversarialTraining(epsilon,
                            o.getFloat("stepSize", epsilon / 4f), o.getInt("steps", 10),
                            tau.equals("dynamic") ? FriendlyAdversarialTraining.DYNAMIC_TAU
                                    : parseInt("tau", tau, "dynamic"),
                            o.getFloat("noise", 0.001f));
                });
        register("trades", "Zhang et al. 2019: CE(x) + beta KL(p(x) || p(x')), beta=6, 10 steps of"
                + " eps/4", true, (o, shape) -> {
                    float epsilon = epsilon(o, "trades");
                    return new Trades(epsilon, o.getFloat("stepSize", epsilon / 4f),
                            o.getInt("steps", 10), o.getFloat("beta", 6f));
                });
        register("iat", "Lamb et al. 2019: (Mixup(x) + Mixup(PGD(x)))/2, PGD as pgd-at; mix=input"
                + " (alpha=1) or manifold (alpha=2)", true, (o, shape) -> {
                    float epsilon = epsilon(o, "iat");
                    InterpolatedAdversarialTraining.Mix mix =
                            InterpolatedAdversarialTraining.Mix.parse(o.getString("mix", "input"));
                    return new InterpolatedAdversarialTraining(epsilon,
                            o.getFloat("stepSize", epsilon / 4f), o.getInt("steps", 10), mix,
                            o.getFloat("alpha", mix.defaultAlpha()));
                });
        register("thrm", "Tao et al. 2022: CE(x) + beta KL(p(x) || p(x_hyp)), x_hyp minimizing CE;"
                + " beta=6, 10 steps of eps/4", true, (o, shape) -> {
                    float epsilon = epsilon(o, "thrm");
                    return new HypocriticalRiskMinimization(epsilon,
                            o.getFloat("stepSize", epsilon / 4f), o.getInt("steps", 10),
                            o.getFloat("beta", 6f));
                });
        register("spat", "Hou et al. 2023: self-paced CE on cosines + beta sum_j k_j (k_j + n) of the"
                + " per-class KL, beta=6, margin=0.2, klOffset=0.2, 10 steps of eps/4; needs --head"
                + " cosine", true, (o, shape) -> {
                    float epsilon = epsilon(o, "spat");
                    return new SelfPacedAdversarialTraining(epsilon,
                            o.getFloat("stepSize", epsilon / 4f), o.getInt("steps", 10),
                            o.getFloat("beta", 6f), o.getFloat("margin", 0.2f),
                            o.getFloat("klOffset", 0.2f));
                });
        register("ensemble-at", "Tramer et al. 2018: FGSM from the model and static models in turn;"
                + " sources=DIR1,DIR2,...", true, (o, shape) -> {
                    float epsilon = epsilon(o, "ensemble-at");
                    float cleanWeight = o.getFloat("cleanWeight", 0.5f);
                    String list = o.getString("sources", "");
                    if (list.isBlank()) {
                        throw new IllegalArgumentException("ensemble-at needs static source models:"
                                + " ensemble-at.sources=DIR1,DIR2 (models from 'parry train')");
                    }
                    List<String> names = Arrays.stream(list.split(",")).map(String::trim).toList();
                    List<Classifier> sources = new ArrayList<>();
                    try {
                        for (String name : names) {
                            sources.add(Models.load(Path.of(name), shape));
                        }
                    } catch (IOException | RuntimeException e) {
                        sources.forEach(Classifier::close);
                        throw e;
                    }
                    return new EnsembleAdversarialTraining(epsilon, cleanWeight, sources, names);
                });
        register("jsigr", "after Liu et al. 2022/2024 (J-SIGR): CE + lambdaJ/2 ||J||_F^2 +"
                + " lambdaS ||(1-S) grad_x CE||^2; method=finite-difference, jacobianWeight=0.1,"
                + " saliencyWeight=1, salientFraction=0.2, jacobianInput=standardized", false,
                (o, shape) -> {
                    JacobianSelectiveGradientRegularization d =
                            JacobianSelectiveGradientRegularization.of(
                                    JacobianSelectiveGradientRegularization.Method.parse(
                                            o.getString("method", "finite-difference")));
                    return new JacobianSelectiveGradientRegularization(d.method(),
                            o.getFloat("jacobianWeight", d.jacobianWeight()),
                            o.getFloat("saliencyWeight", d.saliencyWeight()),
                            o.getFloat("salientFraction", d.salientFraction()),
                            o.getInt("projections", d.projections()), o.getFloat("probe", d.probe()),
                            parseJacobianInput(o.getString("jacobianInput", "standardized")));
                });
        register("ladder", "Zhou et al. 2022 (LADDER, reconstructed): after warmup=half the"
                + " epochs, add 5 decoded latent steps toward the SVM boundary per image", false,
                (o, shape) -> {
                    LatentBoundaryTraining.Builder builder = LatentBoundaryTraining.builder()
                            .optSteps(o.getInt("steps", 5))
                            .optLatentEpsilon(o.getFloat("latentEpsilon", 0.1f))
                            .optNoise(o.getFloat("noise", 0.05f))
                            .optDecoderRate(o.getFloat("decoderRate", 1e-3f))
                            .optSvmRate(o.getFloat("svmRate", 1e-3f))
                            .optSvmPenalty(o.getFloat("svmPenalty", 1e-4f))
                            .optBudget(o.getFloat("budget", 0f));
                    String warmup = o.getString("warmup", "half");
                    return (warmup.equals("half") ? builder
                            : builder.optWarmup(parseInt("warmup", warmup, "half"))).build();
                });
        register("distillation-teacher", "Papernot et al. 2016, stage 1: CE at temperature T=100",
                false, (o, shape) -> new TemperatureTraining(o.getFloat("temperature", 100f)));
        register("distillation", "Papernot et al. 2016, stage 2: a student on the soft labels of"
                + " teacher=DIR at T=100 (without teacher=, 'parry train' trains one first)", false,
                (o, shape) -> {
                    String teacher = o.getString("teacher", "");
                    if (teacher.isBlank()) {
                        throw new IllegalArgumentException("distillation needs a teacher trained at"
                                + " the same temperature: distillation.teacher=DIR (from 'parry"
                                + " train --defense distillation-teacher')");
                    }
                    return new DefensiveDistillation(o.getFloat("temperature", 100f),
                            Models.load(Path.of(teacher), shape), teacher);
                });
    }

    private DefenseRegistry() {}

    private static void register(String name, String description, boolean usesEpsilon,
            Factory factory) {
        if (DEFENSES.putIfAbsent(name, new Entry(description, usesEpsilon, factory)) != null) {
            throw new IllegalStateException("defense '" + name + "' registered twice");
        }
    }

    /** The registered names, in registration order. */
    public static List<String> names() {
        return List.copyOf(DEFENSES.keySet());
    }

    /** One line per defense: what it is and its defaults. */
    public static String describe(String name) {
        return entry(name).description();
    }

    /**
     * Creates a defense's training objective; the caller closes it.
     *
     * @param inputShape (C, H, W) of the training images, for source models in TorchScript
     * @throws IllegalArgumentException for an unknown name or setting, a bad value, or {@code --eps}
     *     given to a defense without a training attack
     * @throws UncheckedIOException when a source or teacher model cannot be read
     */
    public static TrainingObjective create(String name, DefenseOptions options, Shape inputShape) {
        Entry entry = entry(name);
        if (options.hasEpsilon() && !entry.usesEpsilon()) {
            throw new IllegalArgumentException("defense '" + name + "' crafts no adversarial"
                    + " examples, so it takes no --eps; remove it");
        }
        TrainingObjective objective;
        try {
            objective = entry.factory().create(options, inputShape);
        } catch (IOException e) {
            throw new UncheckedIOException(name + ": " + e.getMessage(), e);
        }
        Map<String, String> unread = options.unread();
        if (!unread.isEmpty()) {
            objective.close();
            throw new IllegalArgumentException("defense '" + name + "' has no setting(s) "
                    + unread.keySet() + "; its settings are " + objective.settings().keySet());
        }
        return objective;
    }

    private static Entry entry(String name) {
        Entry entry = DEFENSES.get(name);
        if (entry == null) {
            throw new IllegalArgumentException("unknown defense '" + name + "'; choose one of "
                    + names());
        }
        return entry;
    }

    private static boolean parseJacobianInput(String text) {
        return switch (text) {
            case "standardized" -> true;
            case "pixels" -> false;
            default -> throw new IllegalArgumentException("setting jacobianInput=" + text
                    + " is neither 'standardized' nor 'pixels'");
        };
    }

    private static float epsilon(DefenseOptions options, String name) {
        return options.epsilon(name, DEFAULT_EPSILON);
    }

    private static int parseInt(String key, String text, String word) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting " + key + "=" + text
                    + " is not an integer or '" + word + "'");
        }
    }
}
