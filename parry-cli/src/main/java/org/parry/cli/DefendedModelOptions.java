package org.parry.cli;

import java.util.ArrayList;
import java.util.List;
import org.parry.defense.StageRegistry;
import org.parry.model.BlockClassifier;
import org.parry.model.Classifier;
import org.parry.model.GradientMode;
import org.parry.model.Pipeline;
import picocli.CommandLine.Option;

/** The options that put a defense in front of a model, shared by attack and evaluate. */
final class DefendedModelOptions {

    @Option(names = "--defense", paramLabel = "SPEC",
            description = "A stage in front of the model, repeatable, in order: NAME or"
                    + " NAME:key=value,... with NAME one of bit-depth, median, jpeg, resize-pad,"
                    + " noise (settings and defaults in docs/purification.md), e.g."
                    + " --defense jpeg:quality=60; or a physical transform (brightness, contrast,"
                    + " blur, affine, colour, photo), which with --eot N makes an attack that"
                    + " survives it.")
    List<String> stages = new ArrayList<>();

    @Option(names = "--gradients", defaultValue = "exact",
            description = "How attack gradients pass the defense's non-differentiable stages:"
                    + " exact (autograd: zero through a quantizer, the oblivious attacker) or bpda"
                    + " (the identity in the backward pass, the adaptive one) (default:"
                    + " ${DEFAULT-VALUE}).")
    String gradients;

    @Option(names = "--eot", defaultValue = "1",
            description = "Draws of a random defense averaged per gradient (expectation over"
                    + " transformation; default: ${DEFAULT-VALUE}).")
    int eot;

    @Option(names = "--head-only",
            description = "On a model with CIFS probes, attack the classifier's head alone instead"
                    + " of the joint loss of the classifier and its probes (the default: attacking"
                    + " the head alone overstates robustness; this is for comparison).")
    boolean headOnly;

    /**
     * The model as attacks see it: {@code loaded}, or with {@code --head-only} its view that
     * attacks the classifier's head alone (which {@code loaded} still owns).
     */
    Classifier lossOf(Classifier loaded) {
        if (!headOnly) {
            return loaded;
        }
        if (loaded instanceof BlockClassifier block && block.probes() > 0) {
            return block.headOnly();
        }
        throw new IllegalArgumentException("--head-only applies to models with CIFS probes"
                + " (trained with --block cifs); " + loaded.name() + " has none: drop --head-only");
    }

    /**
     * The stages of {@code --defense} in front of {@code network}, or null without {@code
     * --defense} (the caller then uses {@code network} itself and still closes it).
     */
    Pipeline pipeline(Classifier network, long seed) {
        GradientMode mode = GradientMode.parse(gradients);
        if (stages.isEmpty()) {
            if (mode != GradientMode.EXACT || eot != 1) {
                throw new IllegalArgumentException("--gradients and --eot say how attacks pass a"
                        + " defense; give the defense with --defense SPEC");
            }
            return null;
        }
        if (eot < 1) {
            throw new IllegalArgumentException("--eot must be >= 1, got " + eot);
        }
        return StageRegistry.pipeline(network, stages, mode, eot, seed);
    }
}
