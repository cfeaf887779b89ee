package org.parry.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parry.data.ImageDataset;
import org.parry.engine.Backward;
import org.parry.engine.ForwardCheck;
import org.parry.model.BlockClassifier;
import org.parry.model.zoo.ArchitectureOptions;
import org.parry.model.zoo.CifsProbe;
import org.parry.model.zoo.Denoiser;
import org.parry.model.zoo.FeatureDenoising;
import org.parry.model.zoo.Nonlinearity;
import org.parry.train.StandardObjective;

/**
 * What the robust blocks of the model zoo cost against the plain network (issue 13), in two parts.
 *
 * <p><b>Per model.</b> {@code cnn3} at width 16 plain (ReLU), with a CIFS block (linear probe,
 * β = 2), with Sparta, with SiLU (Sparta's parameter-free counterpart), with each feature-denoising
 * operation of {@link Denoiser}; and {@code res-cnn}, {@code odenet}, {@code tisode} at width 16;
 * all on 1x28x28 inputs, 10 classes, batch {@value #BATCH}, freshly initialized (speed does not
 * depend on the weights). For each: its learnable parameters (BatchNorm's running statistics not
 * counted), and
 *
 * <ul>
 *   <li>{@code fwd+bwd}: images/s of {@code lossGradient} with cross-entropy (evaluation mode,
 *       parameters frozen; with CIFS probes the gradient is that of the joint loss, what attacks
 *       differentiate), the inner loop of a white-box attack, as {@link GradientBenchmark} times
 *       it. All models are timed side by side ({@link Timing#measureSideBySide}): each round
 *       runs one repetition of every model in turn;
 *   <li>{@code training}: images/s of training steps with the standard objective in training
 *       mode, the loss including CIFS's joint loss and TisODE's steady-state penalty, Parry's
 *       default optimizer (Adam): one epoch of {@value TrainingBenchmark#BATCHES} random batches
 *       per model in turn in every round, after a warm-up round ({@link
 *       TrainingBenchmark#epochsSideBySide}).
 * </ul>
 *
 * The cost of a model is its time per image over plain {@code cnn3}'s in the same round, a paired
 * ratio ({@link Stats#over}); the table gives its median and range over the rounds. No MAC counts:
 * {@link FlopCounter} counts sequential networks of convolutions and linear layers and rejects
 * Sparta, CIFS, feature denoising and the ODE blocks (blocks with parameters or children of their
 * own), so it would count none of what this benchmark is about. A model whose passes fail (non-finite
 * logits or a diverged loss from a faulty engine kernel: on an AMD EPYC here, oneDNN's forward
 * convolution with 17 or 33 input channels at batch 128 broke odenet's time-channel convolutions
 * at widths 16 and 32) is reported as failed, with the reason; the others are measured on.
 *
 * <p><b>The non-local block alone.</b> A {@link FeatureDenoising} block with {@link
 * Denoiser#NONLOCAL}, {@link Denoiser#NONLOCAL_DOT} and, for contrast, {@link Denoiser#MEAN}, on
 * {@value #BLOCK_CHANNELS} channels and a batch of {@value #BLOCK_BATCH} random feature maps of
 * H = W ∈ {7, 14, 21, 28}, N = H·W positions: forward in training mode and backward of the summed
 * output to the input and the block's parameters, all twelve side by side. Reported per image: the
 * time, the time over N and the time over N². Gaussian non-local means forms the N×N weights,
 * O(N²·C), so its time over N² levels off as N grows; the dot-product variant computes
 * {@code (1/N)(X Xᵀ) X}, O(N·C²), and the 3×3 mean O(N·C): their time over N levels off. The
 * growth of each from 14×14 to 28×28 (4× the positions) is printed too: 16× for O(N²), 4× for
 * O(N).
 */
public final class ArchitectureBenchmark implements Benchmark {

    public static final int BATCH = 128;
    public static final int CLASSES = 10;
    /** The width of every model (cnn3's default; the ODE networks' default is 32). */
    public static final int WIDTH = 16;
    public static final int BLOCK_CHANNELS = 32;
    public static final int BLOCK_BATCH = 32;
    private static final List<Integer> SIDES = List.of(7, 14, 21, 28);
    /** The growth printed is the time at the last side over the time at this one (4x fewer positions). */
    private static final int GROWTH_FROM = 14;
    private static final List<Denoiser> BLOCK_DENOISERS =
            List.of(Denoiser.NONLOCAL, Denoiser.NONLOCAL_DOT, Denoiser.MEAN);
    private static final long SEED = 42;

    /**
     * One model of the comparison.
     *
     * @param name how the table names it
     * @param architecture a model-zoo name
     * @param options its width, activation and robust blocks
     */
    record Variant(String name, String architecture, ArchitectureOptions options) {}

    /** The models compared, plain {@code cnn3} first (the baseline of the costs). */
    static List<Variant> variants() {
        ArchitectureOptions plain = ArchitectureOptions.ofWidth(WIDTH);
        List<Variant> variants = new ArrayList<>();
        variants.add(new Variant("cnn3", "cnn3", plain));
        variants.add(new Variant("cnn3 + cifs", "cnn3",
                plain.withCifs(CifsProbe.LINEAR, ArchitectureOptions.DEFAULT_CIFS_BETA)));
        variants.add(new Variant("cnn3 + sparta", "cnn3",
                new ArchitectureOptions(WIDTH, Nonlinearity.SPARTA, 1)));
        variants.add(new Variant("cnn3 + silu", "cnn3",
                new ArchitectureOptions(WIDTH, Nonlinearity.SILU, 1)));
        for (Denoiser denoiser : Denoiser.values()) {
            variants.add(new Variant("cnn3 + " + denoiser.id(), "cnn3", plain.withDenoise(denoiser)));
        }
        for (String ode : List.of("res-cnn", "odenet", "tisode")) {
            variants.add(new Variant(ode, ode, plain));
        }
        return variants;
    }

    @Override
    public String name() {
        return "architectures";
    }

    @Override
    public String description() {
        return "fwd+bwd and training images/s of cnn3 with each robust block and the ODE networks"
                + " vs plain cnn3 (batch " + BATCH + "), side by side; non-local block time vs positions";
    }

    @Override
    public Map<String, Object> run(BenchContext context) throws Exception {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("models", compareModels(context));
        json.put("onednn_off", ForwardCheck.fault().orElse(null));
        json.put("denoising_block", denoisingBlock(context));
        return json;
    }

    private static List<Map<String, Object>> compareModels(BenchContext context) throws Exception {
        List<Variant> variants = variants();
        int batches = context.quick() ? 3 : TrainingBenchmark.BATCHES;
        int rounds = context.quick() ? 2 : 4;
        List<BlockClassifier> models = new ArrayList<>();
        List<Guard> guards = new ArrayList<>();
        long[] parameters = new long[variants.size()];
        List<Timing.Result> gradient;
        List<Stats> training;
        try (NDManager data = NDManager.newBaseManager()) {
            for (Variant variant : variants) {
                models.add(Models.initialized(variant.architecture(), variant.options(),
                        Models.MNIST, CLASSES, SEED));
                parameters[models.size() - 1] = learnableParameters(models.get(models.size() - 1));
                guards.add(new Guard());
            }
            NDArray x = data.randomUniform(0f, 1f, new Shape(BATCH).addAll(Models.MNIST));
            NDArray y = data.randomInteger(0, CLASSES, new Shape(BATCH), DataType.INT64);
            // Every model's forward check first, so that all passes below run on the same
            // kernels: where one model's check switches oneDNN off, it is off for all of them.
            for (BlockClassifier model : models) {
                model.checkKernels(x);
            }
            ForwardCheck.fault().ifPresent(fault -> context.out().println("  note: " + fault
                    + "; every pass below runs on libtorch's own kernels"));
            List<Timing.Operation> passes = new ArrayList<>();
            for (int m = 0; m < models.size(); m++) {
                passes.add(guards.get(m).guard("fwd+bwd",
                        GradientBenchmark.gradientPass(models.get(m), x, y)));
            }
            gradient = context.timing(5).measureSideBySide(passes);
            ImageDataset images = TrainingBenchmark.randomDataset(batches * BATCH, CLASSES, 7);
            StandardObjective objective = new StandardObjective();
            List<TrainingBenchmark.Epoch> epochs = new ArrayList<>();
            for (int m = 0; m < models.size(); m++) {
                BlockClassifier model = models.get(m);
                epochs.add(guards.get(m).guard("training",
                        () -> TrainingBenchmark.trainEpoch(model, objective, images)));
            }
            training = TrainingBenchmark.epochsSideBySide(epochs, rounds);
        } finally {
            models.forEach(BlockClassifier::close);
        }
        if (guards.get(0).failure != null) {
            throw new IllegalStateException("the baseline " + variants.get(0).name()
                    + " failed, so no cost can be given: " + guards.get(0).failure);
        }
        Table table = new Table("model", "parameters", "fwd+bwd images/s (median, min..max, spread)",
                "cost vs cnn3", "training images/s (median, min..max, spread)", "cost vs cnn3");
        List<Map<String, Object>> rows = new ArrayList<>();
        Stats plainGradient = gradient.get(0).secondsPerOp();
        Stats plainTraining = training.get(0);
        for (int m = 0; m < variants.size(); m++) {
            Variant variant = variants.get(m);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("model", variant.name());
            row.put("architecture", variant.architecture());
            row.put("width", variant.options().width());
            row.put("activation", variant.options().activation().id());
            row.put("cifs", variant.options().cifs().id());
            row.put("denoise", variant.options().denoise() == null ? null
                    : variant.options().denoise().id());
            row.put("parameters", parameters[m]);
            rows.add(row);
            String parameterCell = String.format("%,d", parameters[m]);
            if (guards.get(m).failure != null) {
                row.put("error", guards.get(m).failure);
                table.row(variant.name(), parameterCell, "FAILED (below)", "-", "-", "-");
                continue;
            }
            Stats gradientCost = gradient.get(m).secondsPerOp().over(plainGradient);
            // images/s, so the baseline's rate over the model's is the model's time over the baseline's
            Stats trainingCost = plainTraining.over(training.get(m));
            Stats gradientRate = gradient.get(m).rate(BATCH);
            table.row(variant.name(), parameterCell, gradientRate.format("%.0f"),
                    cost(gradientCost), training.get(m).format("%.0f"), cost(trainingCost));
            Map<String, Object> fwdBwd = new LinkedHashMap<>();
            fwdBwd.put("calls_per_repetition", gradient.get(m).opsPerRepetition());
            fwdBwd.put("ms_per_batch", gradient.get(m).secondsPerOp().scale(1e3).toJson());
            fwdBwd.put("images_per_second", gradientRate.toJson());
            fwdBwd.put("cost_vs_cnn3", gradientCost.toJson());
            row.put("fwd_bwd", fwdBwd);
            Map<String, Object> train = new LinkedHashMap<>();
            train.put("images_per_second", training.get(m).toJson());
            train.put("cost_vs_cnn3", trainingCost.toJson());
            row.put("training", train);
        }
        table.print(context.out());
        context.out().printf("  batch %d, 1x28x28, %d classes, width %d. fwd+bwd: lossGradient with"
                + " cross-entropy (joint loss with CIFS probes), evaluation mode, %d rounds;%n",
                BATCH, CLASSES, WIDTH, plainGradient.samples().length);
        context.out().printf("  training: standard objective (+ CIFS joint loss, TisODE penalty),"
                + " one %d-batch epoch per model per round, %d rounds after 1 warm-up.%n",
                batches, rounds);
        context.out().println("  cost = the model's time over cnn3's in the same round: median"
                + " (min..max) over the rounds");
        for (int m = 0; m < variants.size(); m++) {
            if (guards.get(m).failure != null) {
                context.out().printf("  %s FAILED, its numbers discarded: %s%n",
                        variants.get(m).name(), guards.get(m).failure);
            }
        }
        return rows;
    }

    /**
     * Whether one model still runs. A faulty engine kernel can make a model's logits NaN, which
     * Parry refuses with an {@link IllegalStateException} (non-finite logits, a diverged training
     * loss), at times only after some good calls. Each model's work runs through its guard: the
     * first failure is recorded and the model's later calls do nothing, so that the others'
     * measurement goes on; the failed model's numbers are discarded.
     */
    private static final class Guard {
        private String failure;

        Timing.Operation guard(String phase, Timing.Operation operation) {
            return () -> {
                if (failure == null) {
                    try {
                        operation.run();
                    } catch (IllegalStateException e) {
                        failure = phase + ": " + e.getMessage();
                    }
                }
            };
        }

        TrainingBenchmark.Epoch guard(String phase, TrainingBenchmark.Epoch epoch) {
            return () -> {
                if (failure == null) {
                    try {
                        return epoch.imagesPerSecond();
                    } catch (IllegalStateException e) {
                        failure = phase + ": " + e.getMessage();
                    }
                }
                return Double.NaN;
            };
        }
    }

    /** The model's learnable parameters (BatchNorm's running statistics not counted). */
    private static long learnableParameters(BlockClassifier model) {
        return model.block().getParameters().values().stream()
                .filter(p -> p.getType() != Parameter.Type.RUNNING_MEAN
                        && p.getType() != Parameter.Type.RUNNING_VAR)
                .mapToLong(p -> p.getArray().size()).sum();
    }

    private static String cost(Stats cost) {
        return String.format("%.2f× (%.2f..%.2f)", cost.median(), cost.min(), cost.max());
    }

    private static Map<String, Object> denoisingBlock(BenchContext context) throws Exception {
        List<Timing.Result> results;
        try (NDManager manager = NDManager.newBaseManager()) {
            List<Timing.Operation> passes = new ArrayList<>();
            for (Denoiser denoiser : BLOCK_DENOISERS) {
                Engine.getInstance().setRandomSeed((int) SEED);
                FeatureDenoising block = new FeatureDenoising(BLOCK_CHANNELS, denoiser);
                block.initialize(manager, DataType.FLOAT32,
                        new Shape(BLOCK_BATCH, BLOCK_CHANNELS, SIDES.get(0), SIDES.get(0)));
                ParameterStore store = new ParameterStore(manager, false);
                for (int side : SIDES) {
                    NDArray x = manager.randomNormal(
                            new Shape(BLOCK_BATCH, BLOCK_CHANNELS, side, side));
                    passes.add(() -> {
                        try (NDManager step = manager.newSubManager()) {
                            step.tempAttachAll(x);
                            NDArray leaf = x.duplicate();
                            leaf.setRequiresGradient(true);
                            try (GradientCollector collector = Backward.collector()) {
                                NDArray out = block.forward(store, new NDList(leaf), true)
                                        .singletonOrThrow();
                                Backward.run(collector, out.sum());
                            }
                        }
                    });
                }
            }
            results = context.timing(3).measureSideBySide(passes);
        }
        Table table = new Table("denoiser", "map", "N", "ms/image (median, min..max, spread)",
                "ns/N", "ns/N²");
        List<Map<String, Object>> rows = new ArrayList<>();
        Map<String, Object> growthJson = new LinkedHashMap<>();
        int last = SIDES.get(SIDES.size() - 1);
        double more = Math.pow((double) last / GROWTH_FROM, 2);
        StringBuilder growth = new StringBuilder(String.format("  time %dx%d / %dx%d (%.0fx the"
                + " positions; O(N): %.0fx, O(N²): %.0fx):", last, last, GROWTH_FROM, GROWTH_FROM,
                more, more, more * more));
        for (int d = 0; d < BLOCK_DENOISERS.size(); d++) {
            Denoiser denoiser = BLOCK_DENOISERS.get(d);
            for (int s = 0; s < SIDES.size(); s++) {
                int side = SIDES.get(s);
                long positions = (long) side * side;
                Stats perImage = results.get(d * SIDES.size() + s).secondsPerOp()
                        .scale(1.0 / BLOCK_BATCH);
                double perPosition = perImage.median() * 1e9 / positions;
                double perPositionSquared = perPosition / positions;
                table.row(denoiser.id(), side + "x" + side, Long.toString(positions),
                        perImage.scale(1e3).format("%.3f"), String.format("%.1f", perPosition),
                        String.format("%.4f", perPositionSquared));
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("denoiser", denoiser.id());
                row.put("side", side);
                row.put("positions", positions);
                row.put("calls_per_repetition", results.get(d * SIDES.size() + s).opsPerRepetition());
                row.put("ms_per_image", perImage.scale(1e3).toJson());
                row.put("ns_per_image_per_position", perPosition);
                row.put("ns_per_image_per_position_squared", perPositionSquared);
                rows.add(row);
            }
            Stats ratio = results.get(d * SIDES.size() + SIDES.size() - 1).secondsPerOp()
                    .over(results.get(d * SIDES.size() + SIDES.indexOf(GROWTH_FROM)).secondsPerOp());
            growthJson.put(denoiser.id(), ratio.toJson());
            growth.append(String.format(" %s %.1fx", denoiser.id(), ratio.median()));
        }
        table.print(context.out());
        context.out().println(growth);
        context.out().printf("  FeatureDenoising(C = %d) alone, batch %d, forward in training mode +"
                + " backward to the input and the block's parameters, all sizes side by side%n",
                BLOCK_CHANNELS, BLOCK_BATCH);

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("channels", BLOCK_CHANNELS);
        json.put("batch", BLOCK_BATCH);
        json.put("pass", "forward (training mode) + backward of the summed output to the input"
                + " and the block's parameters");
        json.put("rows", rows);
        json.put("time_" + last + "_over_" + GROWTH_FROM, growthJson);
        return json;
    }
}
