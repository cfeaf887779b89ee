package org.parry.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.parry.data.DataSets;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.model.ModelCard;
import org.parry.model.zoo.ModelZoo;
import org.parry.train.StandardObjective;
import org.parry.train.TrainingJob;
import org.parry.train.TrainingSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code parry train}: train a zoo architecture and save a self-describing model. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a model-zoo architecture on a data set and save it with its model card.")
final class TrainCommand implements Callable<Integer> {

    /** {@code --n} cuts the training set; the test accuracy uses the whole test split. */
    @Mixin
    DataOptions data;

    @Option(names = "--arch", defaultValue = "small-cnn",
            description = "Architecture: linear, mlp, small-cnn, madry-cnn, lenet5, preact-resnet18 (default: ${DEFAULT-VALUE}).")
    String architecture;

    @Option(names = "--width", defaultValue = "0", description = "Base width of the architecture (0 = its default).")
    int width;

    @Option(names = "--epochs", defaultValue = "1", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--optimizer", defaultValue = "adam", description = "sgd or adam (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--lr", description = "Learning rate (default: 1e-3 for adam, 0.05 for sgd).")
    Float learningRate;

    @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default: ${DEFAULT-VALUE}).")
    float momentum;

    @Option(names = "--weight-decay", defaultValue = "0", description = "L2 weight decay (default: ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--schedule", defaultValue = "constant", description = "constant, step or cosine (default: ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--step-epochs", defaultValue = "10", description = "Step schedule: decay every this many epochs.")
    int stepEpochs;

    @Option(names = "--step-gamma", defaultValue = "0.1", description = "Step schedule: decay factor.")
    float stepGamma;

    @Option(names = "--out", description = "Directory of the saved model (default: runs/<arch>-<dataset>).")
    Path output;

    @Option(names = "--resume", description = "Continue from the checkpoint in <out>/checkpoint.")
    boolean resume;

    @Option(names = "--json", description = "Write the results as JSON to this file.")
    Path json;

    @Override
    public Integer call() throws Exception {
        ModelZoo.get(architecture);
        TrainingSettings settings = TrainingSettings.builder()
                .optEpochs(epochs)
                .optBatchSize(data.batchSize)
                .optOptimizer(optimizer)
                .optLearningRate(learningRate != null ? learningRate
                        : optimizer.toLowerCase(Locale.ROOT).equals("sgd") ? 0.05f : 1e-3f)
                .optMomentum(momentum)
                .optWeightDecay(weightDecay)
                .optSchedule(schedule)
                .optStepEpochs(stepEpochs)
                .optStepGamma(stepGamma)
                .optSeed(data.seed)
                .build();
        ImageDataset train = data.load(Split.TRAIN);
        ImageDataset test = DataSets.load(data.dataset, data.dataDir, Split.TEST);
        Path out = output != null ? output : Path.of("runs", architecture + "-" + data.dataset);
        ModelCard card = train(new TrainingJob(architecture, width, train, test, settings,
                new StandardObjective(), out), resume);
        System.out.printf(Locale.ROOT, "%s trained on %d %s images: test accuracy %.4f%nsaved to %s%n",
                architecture, train.size(), train.name(), card.metrics().get("test_accuracy"), out);
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("model", out.toString());
        results.put("card", card);
        JsonFile.write(json, results);
        return 0;
    }

    static ModelCard train(TrainingJob job, boolean resume) throws java.io.IOException {
        ProgressBar evaluation = new ProgressBar("test", job.test().size());
        return job.run(resume, new TrainingProgress(), done -> evaluation.update(done, ""));
    }
}
