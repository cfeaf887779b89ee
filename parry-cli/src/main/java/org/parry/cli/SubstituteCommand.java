package org.parry.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.parry.attack.Substitute;
import org.parry.attack.SubstituteTraining;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.io.OutputPaths;
import org.parry.model.Classifier;
import org.parry.model.Models;
import org.parry.model.NoGradientClassifier;
import org.parry.model.SavedModel;
import org.parry.model.zoo.ArchitectureOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code parry substitute}: trains a substitute of a model from its labels only ({@link
 * SubstituteTraining}, Papernot et al. 2017), prints the per-round table and saves the substitute
 * as a Parry model, a source for {@code parry attack --source}.
 */
@Command(name = "substitute", mixinStandardHelpOptions = true,
        description = "Train a substitute of a model from its predicted labels only (Jacobian-based"
                + " dataset augmentation, Papernot et al. 2017) and save it as a model for"
                + " 'parry attack --source'.")
final class SubstituteCommand implements Callable<Integer> {

    @Mixin
    DataOptions data;

    @Option(names = "--model", required = true,
            description = "The oracle: a saved Parry model or a TorchScript .pt file, asked only"
                    + " for its predicted labels.")
    Path model;

    @Option(names = "--split", defaultValue = "test",
            description = "Split whose first --seed-size images are S_0 and the next --held-out"
                    + " images measure the agreement (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--out", required = true, description = "Directory of the saved substitute.")
    Path output;

    @Option(names = "--overwrite", description = "Replace a model in --out.")
    boolean overwrite;

    @Option(names = "--seed-size", defaultValue = "150",
            description = "Initial images S_0 (default: ${DEFAULT-VALUE}, the paper's).")
    int seedSize;

    @Option(names = "--held-out", defaultValue = "500",
            description = "Images after S_0 on which each round measures the agreement with the"
                    + " oracle (default: ${DEFAULT-VALUE}; not counted as attack queries).")
    int heldOut;

    @Option(names = "--rounds", defaultValue = "6",
            description = "Substitute training rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--lambda", defaultValue = "0.1",
            description = "Augmentation step (default: ${DEFAULT-VALUE}).")
    float lambda;

    @Option(names = "--tau", defaultValue = "3",
            description = "The step's sign flips every tau rounds; 0: never (default: ${DEFAULT-VALUE}).")
    int tau;

    @Option(names = "--reservoir-after", defaultValue = "-1",
            description = "Reservoir sampling after this many doublings; -1: off (default: ${DEFAULT-VALUE}).")
    int reservoirAfter;

    @Option(names = "--reservoir-size", defaultValue = "400",
            description = "Points stepped from per round under reservoir sampling (default: ${DEFAULT-VALUE}).")
    int reservoirSize;

    @Option(names = "--epochs", defaultValue = "10",
            description = "Training epochs per round (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--train-batch-size", defaultValue = "32",
            description = "Images per training step (default: ${DEFAULT-VALUE}).")
    int trainBatchSize;

    @Option(names = "--lr", defaultValue = "0.001", description = "Adam's learning rate (default: ${DEFAULT-VALUE}).")
    float learningRate;

    @Option(names = "--from-scratch", description = "Train a fresh substitute each round instead of continuing.")
    boolean fromScratch;

    @Option(names = "--arch", defaultValue = "small-cnn",
            description = "The substitute's architecture (default: ${DEFAULT-VALUE}).")
    String architecture;

    @Option(names = "--width", defaultValue = "0", description = "Its base width (0 = its default).")
    int width;

    @Option(names = "--json", description = "Write the trace and the card as JSON to this file"
            + " (refused if it exists, unless --overwrite).")
    Path json;

    @Override
    public Integer call() throws Exception {
        SubstituteTraining training = SubstituteTraining.builder()
                .optArchitecture(architecture, ArchitectureOptions.ofWidth(width))
                .optRounds(rounds).optLambda(lambda).optTau(tau)
                .optReservoir(reservoirAfter, reservoirSize).optFromScratch(fromScratch)
                .optEpochs(epochs).optBatchSize(trainBatchSize).optLearningRate(learningRate)
                .optSeed(data.seed).build();
        OutputPaths.checkDirectory("--out", output);
        if (SavedModel.isSavedModel(output) && !overwrite) {
            throw new IllegalArgumentException("--out " + output + " holds a model ("
                    + SavedModel.CARD_FILE + "); pass --overwrite to replace it, or choose another"
                    + " --out");
        }
        if (json != null) {
            OutputPaths.checkFile("--json", json, overwrite);
        }
        if (seedSize < 1 || heldOut < 1) {
            throw new IllegalArgumentException("--seed-size and --held-out must be >= 1, got "
                    + seedSize + " and " + heldOut);
        }
        ImageDataset images = data.load(Split.parse(split));
        if (seedSize + heldOut > images.size()) {
            throw new IllegalArgumentException("--seed-size " + seedSize + " plus --held-out "
                    + heldOut + " need " + (seedSize + heldOut) + " images, but the " + split
                    + " split has " + images.size() + "; lower them");
        }
        ImageDataset initial = images.first(seedSize);
        int[] rest = new int[heldOut];
        Arrays.setAll(rest, i -> seedSize + i);
        ImageDataset agreementSet = images.select(rest);
        System.out.printf("substitute of %s from %d %s images, %d rounds, lambda %s%n", model,
                seedSize, images.name(), rounds, lambda);
        System.out.printf("%5s %8s %9s %9s %10s %9s%n", "round", "lambda", "set size", "queries",
                "agreement", "accuracy");
        try (Classifier oracle = NoGradientClassifier.wrap(Models.load(model, images.imageShape()));
                Substitute substitute = training.train(oracle, initial, agreementSet,
                        round -> System.out.printf(Locale.ROOT, "%5d %8.3f %9d %9d %10.4f %9.4f%n",
                                round.round(), round.lambda(), round.setSize(), round.queries(),
                                round.agreement(), round.accuracy()))) {
            substitute.save(output);
            System.out.printf(Locale.ROOT, "%d oracle labels; agreement with the oracle on %d"
                    + " held-out images %.4f%nsaved to %s (use it with 'parry attack --source %s')%n",
                    substitute.queries(), heldOut, substitute.agreement(), output, output);
            Map<String, Object> results = new LinkedHashMap<>();
            results.put("oracle", model.toString());
            results.put("model", output.toString());
            results.put("queries", substitute.queries());
            results.put("rounds", substitute.rounds());
            results.put("card", substitute.card());
            JsonFile.write(json, results);
        }
        return 0;
    }
}
