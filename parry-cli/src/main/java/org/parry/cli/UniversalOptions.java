package org.parry.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import org.parry.attack.AttackOptions;
import org.parry.attack.AttackRegistry;
import org.parry.attack.Universal;
import org.parry.attack.UniversalPerturbation;
import org.parry.data.DataSets;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.io.OutputPaths;
import org.parry.model.Classifier;
import org.parry.model.Models;
import org.parry.model.Pipeline;
import org.parry.norm.Norm;
import org.parry.report.PerturbationPicture;
import picocli.CommandLine.Option;

/**
 * {@code parry attack --universal} and {@code --universal-from}: fit one universal perturbation
 * ({@link UniversalPerturbation}) on a seeded random sample of the train split and measure it on
 * the held-out {@code --split} (test by default; the train split is refused, since v was fitted on
 * it), or measure a saved one. The library fits, measures and writes; this class reads options and
 * prints.
 */
final class UniversalOptions {

    /** The picture of v that {@code --out} holds beside the card and the values. */
    static final String PICTURE = "universal.png";

    @Option(names = "--universal", description = "Fit one universal perturbation (attack uap:"
            + " --eps is its bound xi, --norm linf|l2, --steps DeepFool's iterations, uap.key=value"
            + " settings) on --fit-n images of the train split and measure it on --split; --out"
            + " writes universal.json, universal.npz and universal.png.")
    boolean fit;

    @Option(names = "--fit-n", defaultValue = "1000", description = "With --universal: the images"
            + " of the train split (a random sample drawn with --seed) v is fitted on (default:"
            + " ${DEFAULT-VALUE}).")
    int fitImages;

    @Option(names = "--universal-from", paramLabel = "FILE", description = "Measure a saved"
            + " universal perturbation (the --out directory of --universal, or its universal.json)"
            + " on --split.")
    Path from;

    /** Whether the command is a universal one. */
    boolean active() {
        return fit || from != null;
    }

    /** Runs {@code parry attack --universal} or {@code --universal-from} with the command's options. */
    Integer run(AttackCommand command) throws IOException {
        check(command);
        Split split = Split.parse(command.split);
        UniversalPerturbation attack = fit ? (UniversalPerturbation) AttackRegistry.create("uap",
                new AttackOptions(command.norm == null ? null : Norm.parse(command.norm),
                        command.epsilon, command.steps, command.data.seed,
                        PrefixedSettings.parse("attack", "uap", command.settings))) : null;
        if (fit && split == Split.TRAIN) {
            throw new IllegalArgumentException("--universal fits v on the train split; measure it on"
                    + " held-out images with --split test");
        }
        if (fit && fitImages < 1) {
            throw new IllegalArgumentException("--fit-n must be >= 1, got " + fitImages);
        }
        Path output = command.output;
        if (output != null) {
            OutputPaths.checkDirectory("--out", output);
            for (String file : new String[] {Universal.CARD_FILE, Universal.VALUES_FILE, PICTURE}) {
                OutputPaths.checkFile("--out", output.resolve(file), command.overwrite);
            }
        }
        Universal saved = fit ? null : Universal.load(from);
        ImageDataset images = command.data.load(split);
        ImageDataset fitting = fit ? sample(command) : null;
        PrintStream out = System.out;
        try (Classifier network = Models.load(command.model, images.imageShape());
                Pipeline pipeline = command.defense.pipeline(network, command.data.seed)) {
            Classifier classifier = command.attacked(network, pipeline, images);
            Universal universal = saved;
            if (fit) {
                out.printf("fitting a universal perturbation on %s (%d train images): %s%n",
                        fitting.name(), fitting.size(), attack.settings());
                universal = attack.fit(classifier, fitting, command.data.batchSize,
                        (pass, rate) -> out.printf(Locale.ROOT,
                                "  pass %d: fooling rate %.4f on the fitting images%n", pass, rate));
            } else {
                out.printf("universal perturbation %s: %s, fitted on %s for model %s%n", from,
                        universal.settings(), universal.data(), universal.model());
            }
            Universal.Evaluation held = universal.evaluate(classifier, images, command.data.batchSize);
            out.printf(Locale.ROOT, "%-24s %s %.4f (bound %s)%n", "perturbation:",
                    universal.norm().id(), universal.magnitude(), universal.epsilon());
            if (fit) {
                out.printf(Locale.ROOT, "%-24s %.4f after %d passes (%d DeepFool runs, %d updates,"
                        + " %d gradients, %d queries)%n", "fitting fooling rate:",
                        universal.foolingRate(), universal.passes(), universal.deepFoolRuns(),
                        universal.updates(), universal.gradients(), universal.queries());
            }
            out.printf(Locale.ROOT, "on %s, %s split, %d images (clip(x + v) into the box):%n",
                    images.name(), split.id(), held.images());
            out.printf(Locale.ROOT, "%-24s %.4f  (prediction changed by v)%n", "fooling rate:",
                    held.foolingRate());
            out.printf(Locale.ROOT, "%-24s %.4f%n", "clean accuracy:", held.cleanAccuracy());
            out.printf(Locale.ROOT, "%-24s %.4f%n", "accuracy under v:", held.accuracy());
            if (output != null) {
                universal.save(output);
                PerturbationPicture.write(output.resolve(PICTURE), universal.values(),
                        universal.shape());
                out.printf("wrote %s, %s and %s%n", output.resolve(Universal.CARD_FILE),
                        output.resolve(Universal.VALUES_FILE), output.resolve(PICTURE));
            }
        }
        return 0;
    }

    /** Options that mean nothing for a universal perturbation are refused, each with the fix. */
    private void check(AttackCommand command) {
        if (fit && from != null) {
            throw new IllegalArgumentException("--universal fits a new perturbation and"
                    + " --universal-from measures a saved one; give one of them");
        }
        if (command.targeted || command.targetMode != null) {
            throw new IllegalArgumentException("universal perturbations are untargeted; remove"
                    + " --targeted and --target-mode");
        }
        if (command.json != null) {
            throw new IllegalArgumentException("--json is not written for universal perturbations;"
                    + " --out DIR writes " + Universal.CARD_FILE + " with the fit's results");
        }
        if (fit && command.attackName != null && !command.attackName.equals("uap")) {
            throw new IllegalArgumentException("--universal fits the attack uap, not "
                    + command.attackName + "; remove --attack " + command.attackName);
        }
        if (from != null && (command.attackName != null || command.epsilon != null
                || command.norm != null || command.steps != null || !command.settings.isEmpty())) {
            throw new IllegalArgumentException("--universal-from measures a saved perturbation"
                    + " as it is; remove --attack, --eps, --norm, --steps and settings");
        }
    }

    /** --fit-n train images drawn with --seed. */
    private ImageDataset sample(AttackCommand command) throws IOException {
        ImageDataset train = DataSets.load(command.data.dataset, command.data.dataDir, Split.TRAIN);
        if (fitImages > train.size()) {
            throw new IllegalArgumentException("--fit-n " + fitImages + " is more than the "
                    + train.size() + " images of " + train.name() + "'s train split");
        }
        return train.shuffled(command.data.seed).first(fitImages);
    }
}
