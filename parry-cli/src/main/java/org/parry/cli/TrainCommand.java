package org.parry.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.parry.data.DataSets;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.io.DirectoryLock;
import org.parry.io.OutputPaths;
import org.parry.model.ModelCard;
import org.parry.defense.DefenseOptions;
import org.parry.defense.DefenseRegistry;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.model.zoo.CifsProbe;
import org.parry.model.zoo.ClassifierHead;
import org.parry.model.zoo.Denoiser;
import org.parry.model.zoo.ModelZoo;
import org.parry.model.zoo.Nonlinearity;
import org.parry.train.Checkpoint;
import org.parry.train.RobustnessMonitor;
import org.parry.train.TrainingJob;
import org.parry.train.TrainingObjective;
import org.parry.train.TrainingSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code parry train}: train a zoo architecture and save a self-describing model. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a model-zoo architecture on a data set, with a defense if asked, and"
                + " save it with its model card.")
final class TrainCommand implements Callable<Integer> {

    /** {@code --n} cuts the training set; the test accuracy uses the whole test split. */
    @Mixin
    DataOptions data;

    @Option(names = "--arch", defaultValue = "small-cnn",
            description = "Architecture: linear, mlp, small-cnn, madry-cnn, lenet5, preact-resnet18, cnn3, odenet, tisode, res-cnn (default: ${DEFAULT-VALUE}).")
    String architecture;

    @Option(names = "--width", defaultValue = "0", description = "Base width of the architecture (0 = its default).")
    int width;

    @Option(names = "--activation", defaultValue = "relu",
            description = "Activation: relu, softplus, silu, gelu, elu or sparta (the spatially"
                    + " attentive activation of the convolutional stages; needs --arch cnn3)"
                    + " (default: ${DEFAULT-VALUE}).")
    String activation;

    @Option(names = "--first-stride", defaultValue = "1",
            description = "Stride of the first convolution (default: ${DEFAULT-VALUE}).")
    int firstStride;

    @Option(names = "--block", defaultValue = "none",
            description = "Robust block: none or cifs (a CIFS block after the last convolutional"
                    + " stage, trained and attacked on the joint loss; needs --arch cnn3)"
                    + " (default: ${DEFAULT-VALUE}).")
    String block;

    @Option(names = "--cifs-probe", defaultValue = "linear",
            description = "The CIFS block's probe: linear or nonlinear (default: ${DEFAULT-VALUE}).")
    String cifsProbe;

    @Option(names = "--cifs-beta", defaultValue = "2",
            description = "Weight of the CIFS probes in the joint loss (default: ${DEFAULT-VALUE}).")
    float cifsBeta;

    @Option(names = "--denoise", defaultValue = "none",
            description = "A feature-denoising block after the second convolutional stage (needs"
                    + " --arch cnn3): none, nonlocal, nonlocal-embedded, nonlocal-dot, bilateral,"
                    + " mean or median (default: ${DEFAULT-VALUE}).")
    String denoise;

    @Option(names = "--head", defaultValue = "linear",
            description = "Last layer: linear, or cosine (logits = s cos(features, w_k), SPAT's"
                    + " cosine classifier; replaces the last fully connected layer)"
                    + " (default: ${DEFAULT-VALUE}).")
    String head;

    @Option(names = "--cosine-scale", description = "The cosine head's scale s (default: 8).")
    Float cosineScale;

    @Option(names = "--dropout", defaultValue = "0", description = "Rate of a dropout layer"
            + " before the last layer, 0 for none; a KD+BU detector's Bayesian uncertainty needs"
            + " one (default: ${DEFAULT-VALUE}).")
    float dropout;

    @Option(names = "--sparta-from", paramLabel = "MODEL",
            description = "Reuse the Sparta modules of this trained model (same stage widths),"
                    + " frozen: Sparta's transfer across networks and data sets.")
    Path spartaFrom;

    @Option(names = "--noise-augment",
            description = "Gaussian-noise augmentation (TisODE's training): each image, with"
                    + " probability 1/2, gets noise of sigma 50, 75 or 100/255.")
    boolean noiseAugment;

    @Option(names = "--label-noise", defaultValue = "0", paramLabel = "RATE",
            description = "Symmetric label noise: each training label, with probability RATE, is"
                    + " replaced by one of the other classes drawn uniformly (from --seed); the"
                    + " test set and the monitor's held-out images keep their labels"
                    + " (default: ${DEFAULT-VALUE}).")
    float labelNoise;

    @Option(names = "--defense", defaultValue = "standard",
            description = "Training objective: standard, fgsm-mixed, pgd-at, fgsm-rs, fat, trades,"
                    + " iat, thrm, ensemble-at, distillation-teacher, distillation, spat (needs"
                    + " --head cosine) (default: ${DEFAULT-VALUE}).")
    String defense;

    @Option(names = "--eps", description = "L-inf radius of the defense's training attack (default: 0.1).")
    Float epsilon;

    @Option(names = "--monitor", negatable = true,
            description = "Catastrophic-overfitting monitor: clean/FGSM/PGD accuracy on held-out"
                    + " images after each epoch; on a collapse, stop and restore the best epoch"
                    + " (default: on for fgsm-mixed and fgsm-rs).")
    Boolean monitor;

    @Option(names = "--monitor-size", defaultValue = "512",
            description = "Training images held out for the monitor (default: ${DEFAULT-VALUE}).")
    int monitorSize;

    @Option(names = "--monitor-drop", defaultValue = "0.2",
            description = "PGD-accuracy fall below the best epoch that counts as a collapse; half of it"
                    + " counts when it leaves less than half the best (default: ${DEFAULT-VALUE}).")
    double monitorDrop;

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

    @Option(names = "--out", description = "Directory of the saved model (default:"
            + " runs/<arch>-<dataset>). A directory holding a trained model or an unfinished"
            + " training is refused unless --resume or --overwrite; one run at a time may write"
            + " into it.")
    Path output;

    @Option(names = "--resume", description = "Continue from the checkpoint in <out>/checkpoint"
            + " (an error when there is none).")
    boolean resume;

    @Option(names = "--overwrite", description = "Replace the model or training in <out>, and the"
            + " --json file, starting over.")
    boolean overwrite;

    @Option(names = "--json", description = "Write the results as JSON to this file (refused if it"
            + " exists, unless --overwrite).")
    Path json;

    @Parameters(paramLabel = "NAME.key=value", arity = "0..*",
            description = "Settings of the defense, e.g. pgd-at.steps=7 fgsm-rs.firstLayerPenalty=0.01.")
    List<String> defenseSettings = new ArrayList<>();

    /** Defenses whose single-step attack can collapse: the monitor is on unless --no-monitor. */
    private static final Set<String> MONITORED_BY_DEFAULT = Set.of("fgsm-mixed", "fgsm-rs");

    @Override
    public Integer call() throws Exception {
        ModelZoo.get(architecture);
        Path out = output != null ? output : Path.of("runs", architecture + "-" + data.dataset);
        OutputPaths.checkDirectory("--out", out);
        if (json != null) {
            OutputPaths.checkFile("--json", json, overwrite);
        }
        try (DirectoryLock lock = DirectoryLock.acquire(out, "--out")) {
            checkOutput(out);
            return run(out);
        }
    }

    /**
     * The output check; a distillation that trains its own teacher resumes from the teacher's
     * checkpoint when the student has none yet.
     */
    private void checkOutput(Path out) throws IOException {
        boolean ownTeacher = defense.equals("distillation")
                && defenseSettings.stream().noneMatch(s -> s.startsWith("distillation.teacher="));
        boolean teacherResumes = ownTeacher && resume
                && Checkpoint.exists(out.resolve("teacher").resolve(TrainingJob.CHECKPOINT_DIRECTORY))
                && !Checkpoint.exists(out.resolve(TrainingJob.CHECKPOINT_DIRECTORY));
        if (!teacherResumes) {
            TrainingJob.checkOutput(out, resume, overwrite);
        }
    }

    private int run(Path out) throws IOException {
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
                .optNoiseAugmentation(noiseAugment)
                .optSpartaFrom(spartaFrom == null ? null : spartaFrom.toString())
                .optLabelNoise(labelNoise)
                .build();
        ArchitectureOptions options = new ArchitectureOptions(width,
                Nonlinearity.parse(activation), firstStride);
        options = switch (block.trim().toLowerCase(Locale.ROOT)) {
            case "none" -> options;
            case "cifs" -> options.withCifs(CifsProbe.parse(cifsProbe), cifsBeta);
            default -> throw new IllegalArgumentException("unknown --block '" + block
                    + "'; choose none or cifs");
        };
        options = options.withDenoise(denoise.trim().equalsIgnoreCase(ModelCard.NO_DENOISING) ? null
                : denoiser(denoise));
        ClassifierHead classifier = ClassifierHead.parse(head);
        if (cosineScale != null && classifier != ClassifierHead.COSINE) {
            throw new IllegalArgumentException("--cosine-scale is the scale of a cosine head; add"
                    + " --head cosine, or remove --cosine-scale");
        }
        options = options.withHead(classifier, cosineScale != null ? cosineScale
                : ArchitectureOptions.DEFAULT_COSINE_SCALE).withDropout(dropout);
        ImageDataset train = data.load(Split.TRAIN);
        ImageDataset test = DataSets.load(data.dataset, data.dataDir, Split.TEST);
        Map<String, String> named = PrefixedSettings.parse("defense", defense, defenseSettings);
        if (defense.equals("distillation") && !named.containsKey("teacher")) {
            named.put("teacher", trainTeacher(options, train, test, settings, named, out).toString());
        }
        ModelCard card;
        try (TrainingObjective objective = DefenseRegistry.create(defense,
                new DefenseOptions(epsilon, named), train.imageShape())) {
            RobustnessMonitor watch = monitor(objective, train);
            ImageDataset trainOn = watch == null ? train : train.first(train.size() - monitorSize);
            card = train(new TrainingJob(architecture, options, trainOn, test, settings, objective,
                    watch, out), resume);
        }
        Double restored = card.metrics().get(RobustnessMonitor.RESTORED_EPOCH);
        if (restored != null) {
            System.out.printf(Locale.ROOT, "warning: catastrophic overfitting at epoch %d (held-out"
                    + " PGD accuracy collapsed); training stopped and the weights of epoch %d were"
                    + " restored%n", card.metrics().get("epochs_trained").intValue(),
                    restored.intValue());
        }
        System.out.printf(Locale.ROOT, "%s (%s) trained on %s images: test accuracy %.4f%nsaved to %s%n",
                architecture, defense, train.name(), card.metrics().get("test_accuracy"), out);
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("model", out.toString());
        results.put("card", card);
        JsonFile.write(json, results);
        return 0;
    }

    /**
     * The monitor this run uses: on by default for single-step defenses, its radius the defense's
     * (or {@code --eps}, or 0.1), its held-out images the last {@code --monitor-size} of the set.
     */
    private RobustnessMonitor monitor(TrainingObjective objective, ImageDataset train) {
        boolean on = monitor != null ? monitor : MONITORED_BY_DEFAULT.contains(defense);
        if (!on) {
            return null;
        }
        if (monitorSize < 1 || monitorSize >= train.size()) {
            throw new IllegalArgumentException("--monitor-size must be in 1.." + (train.size() - 1)
                    + " (held out of the " + train.size() + " training images), got " + monitorSize
                    + "; lower it, or turn the monitor off with --no-monitor");
        }
        Object radius = objective.settings().get("epsilon");
        float monitorEpsilon = radius instanceof Number number ? number.floatValue()
                : epsilon != null ? epsilon : DefenseRegistry.DEFAULT_EPSILON;
        return RobustnessMonitor.onLastImages(train, monitorSize, monitorEpsilon, monitorDrop);
    }

    /**
     * Stage 1 of defensive distillation when no teacher is given: the same architecture trained
     * at the student's temperature, saved in {@code <out>/teacher}.
     */
    /** The --denoise operation, or a one-line error listing "none" and the operations. */
    private static Denoiser denoiser(String text) {
        try {
            return Denoiser.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown --denoise '" + text + "'; choose "
                    + ModelCard.NO_DENOISING + " or one of " + Arrays.stream(
                            Denoiser.values()).map(Denoiser::id).toList());
        }
    }

    private Path trainTeacher(ArchitectureOptions options, ImageDataset train, ImageDataset test,
            TrainingSettings settings, Map<String, String> named, Path out) throws IOException {
        Path teacher = out.resolve("teacher");
        Map<String, String> teacherSettings = new LinkedHashMap<>();
        if (named.containsKey("temperature")) {
            teacherSettings.put("temperature", named.get("temperature"));
        }
        try (TrainingObjective objective = DefenseRegistry.create("distillation-teacher",
                new DefenseOptions(null, teacherSettings), train.imageShape())) {
            System.err.println("distillation: training the teacher first (" + teacher + ")");
            train(new TrainingJob(architecture, options, train, test, settings, objective, null,
                    teacher), resume);
        }
        return teacher;
    }

    static ModelCard train(TrainingJob job, boolean resume) throws java.io.IOException {
        return job.run(resume, new TrainingProgress(),
                ProgressBar.whenStarted("test", job.test().size()));
    }
}
