package org.parry.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * A classifier exported from PyTorch as a TorchScript file (written by {@code
 * torch.jit.script(model).save(path)} or {@code torch.jit.trace(model, example).save(path)}), run
 * through DJL's PyTorch engine with real input gradients, so that white-box attacks work on models
 * trained in Python.
 *
 * <p>The model must take pixels in [0, 1] (normalization belongs inside the model, see {@link
 * Bounds}) as a float batch [N, C, H, W] and return one tensor of logits [N, K]. K is read off one
 * forward pass on zeros when the file is loaded.
 *
 * <h2>How gradients are obtained (see {@code DJL.md}; each point is covered by a test)</h2>
 *
 * <ol>
 *   <li>The file is loaded with the model option {@code trainParam=true}. By default DJL loads a
 *       TorchScript module inside inference mode: its weights are inference tensors and any
 *       backward fails with "Inference tensors cannot be saved for backward".
 *   <li>The parameters are then frozen ({@code freezeParameters(true)}): only d(loss)/d(input) is
 *       wanted, so no parameter gradient is ever computed or accumulated, and attacks cannot change
 *       the model.
 *   <li>Every forward pass, with or without a gradient to follow, calls {@link
 *       PtSymbolBlock#forward} with {@code training=true}. With {@code training=false} DJL runs the
 *       module under PyTorch's inference mode: no gradient flows ("element 0 of tensors does not
 *       require grad"), and the outputs are inference tensors that cannot be updated in place or
 *       used in a later backward (both observed). {@code training=true} only means "no inference
 *       mode"; outside a gradient collector DJL's grad mode is off, so {@link #logits} builds no
 *       graph (observed), and it detaches its input as well.
 *   <li>The module stays in eval mode because the block's Java-side flag is never flipped.
 *       {@code PtSymbolBlock} keeps a flag that starts {@code true} while the loaded module is in
 *       eval mode, and calls {@code module.train(true)} only when a {@code forward(true)} follows
 *       a {@code forward(false)}. That one pass then runs Dropout <em>and BatchNorm in train
 *       mode</em>, and BatchNorm updates its running statistics: on the test fixture a single
 *       such pass moved the eval-mode logits of a random batch by up to 0.028, for good. {@code
 *       JniUtils.enableInferenceMode} afterwards restores eval mode but not the statistics, so
 *       switching back after the fact (as DJL.md item 3 suggests) is not enough: the switch must
 *       never happen. Hence the block is private, is only ever called with {@code
 *       training=true}, and is never handed to a {@code Predictor} or {@code getOutputShapes}
 *       (both pass {@code false}). {@code enableInferenceMode} is still called once after
 *       loading to make eval mode explicit.
 *   <li>Each gradient is taken on a fresh leaf in its own gradient collector (see {@link
 *       DifferentiableClassifier}), since gradients accumulate on a reused leaf.
 * </ol>
 *
 * <p>The model is loaded on the CPU (tensors saved from a GPU are mapped to it). Inputs whose data
 * type differs from the model's weights (e.g. float64) are cast to it with a differentiable op, so
 * the gradient still reaches the caller's array (DJL's own {@code toType} cuts the graph). The
 * classifier owns its DJL {@link Model} and native memory: {@link #close()} it. Not thread-safe.
 */
public final class TorchScriptClassifier extends DifferentiableClassifier {

    private static final String ENGINE = "PyTorch";
    private static final String EXPORT_HINT =
            "Parry loads TorchScript files: export the model in Python with"
                    + " torch.jit.script(model.eval()).save(path) or"
                    + " torch.jit.trace(model.eval(), example_input).save(path)";
    private static final String LOGITS_FIX = "; Parry needs a classifier whose forward() returns"
            + " one tensor of logits [N, K] (N inputs, K >= 2 classes, before softmax): wrap the"
            + " model in Python so that it returns only the logits, and export it again";
    private static final int PROBE_BATCH = 2;

    private final Path path;
    private final Model model;
    private final PtSymbolBlock block;
    private final ParameterStore parameterStore;
    private final DataType dataType;
    private boolean closed;

    private TorchScriptClassifier(Path path, Shape inputShape, int numClasses, Model model,
            PtSymbolBlock block, DataType dataType) {
        super(path.getFileName().toString(), inputShape, numClasses);
        this.path = path;
        this.model = model;
        this.block = block;
        this.parameterStore = new ParameterStore(model.getNDManager(), false);
        this.dataType = dataType;
    }

    /**
     * Loads a TorchScript classifier for inputs of the given shape.
     *
     * @param ptFile a file written by {@code torch.jit.save} (any extension)
     * @param inputShape the shape of one input, (C, H, W)
     * @return the classifier, in eval mode, with frozen parameters
     * @throws ModelLoadException if the file is missing or not TorchScript, if the model fails on
     *     an input of {@code inputShape}, or if its output is not [N, K] logits; the message names
     *     the file and the fix, the engine's exception is the cause
     * @throws IllegalArgumentException if {@code inputShape} is not a positive (C, H, W)
     */
    public static TorchScriptClassifier load(Path ptFile, Shape inputShape)
            throws ModelLoadException {
        Objects.requireNonNull(ptFile, "ptFile");
        Objects.requireNonNull(inputShape, "inputShape");
        ExportedModels.requireImageShape(inputShape);
        Path file = ptFile.toAbsolutePath().normalize();
        ExportedModels.requireReadableFile(file, "TorchScript", ".pt", EXPORT_HINT);

        Model model;
        try {
            model = Model.newInstance(file.getFileName().toString(), Device.cpu(), ENGINE);
        } catch (RuntimeException e) {
            throw new ModelLoadException(file, "cannot load " + file
                    + ": DJL's PyTorch engine failed to start ("
                    + ExportedModels.engineMessage(e) + ")", e);
        }
        boolean loaded = false;
        try {
            PtSymbolBlock block = loadBlock(model, file);
            block.freezeParameters(true);
            JniUtils.enableInferenceMode(block);
            DataType dataType = parameterType(block);
            int numClasses = probeNumClasses(file, model, block, inputShape, dataType);
            TorchScriptClassifier classifier =
                    new TorchScriptClassifier(file, inputShape, numClasses, model, block, dataType);
            loaded = true;
            return classifier;
        } finally {
            if (!loaded) {
                model.close();
            }
        }
    }

    /** The absolute path of the TorchScript file. */
    public Path path() {
        return path;
    }

    @Override
    protected NDArray forward(NDArray x, boolean forGradient) {
        PtSymbolBlock open = requireOpen();
        NDArray input = forGradient ? x : x.stopGradient();
        if (input.getDataType() != dataType) {
            input = forGradient ? castKeepingGradient(input, dataType)
                    : input.toType(dataType, false);
        }
        NDList outputs;
        try {
            // Always training=true, whatever forGradient says: see the class comment, item 4.
            outputs = open.forward(parameterStore, new NDList(input), true);
        } catch (RuntimeException e) {
            throw new IllegalStateException("TorchScript model '" + name() + "' (" + path
                    + ") failed on a batch of shape " + x.getShape() + ": "
                    + ExportedModels.engineMessage(e), e);
        }
        String problem =
                ExportedModels.logitsProblem(outputs, x.getShape(), numClasses(), LOGITS_FIX);
        if (problem != null) {
            throw new IllegalStateException(
                    "TorchScript model '" + name() + "' (" + path + ") " + problem);
        }
        return outputs.get(0);
    }

    /**
     * The names of the module's methods: {@code forward} and those exported with {@code
     * @torch.jit.export}.
     */
    public java.util.List<String> methods() {
        return java.util.List.of(JniUtils.getMethodNames(requireOpen()));
    }

    /**
     * Runs the module's method {@code method} (e.g. a {@code features} method exported with
     * {@code @torch.jit.export} that returns intermediate activations) on a batch, with the rules
     * of the forward pass (the module in eval mode, no inference mode, inputs cast to the weights'
     * type). The input is not detached: inside a caller's gradient collector the outputs are
     * differentiable with respect to it; outside one no graph is built.
     *
     * @param x [N, C, H, W] inputs in the model's bounds
     * @return the method's tensors (a tuple or list flattened), attached to {@code x}'s manager
     * @throws IllegalArgumentException naming the module's methods when it has no {@code method}
     */
    public NDList runMethod(String method, NDArray x) {
        PtSymbolBlock open = requireOpen();
        if (!methods().contains(method)) {
            throw new IllegalArgumentException("TorchScript model '" + name() + "' has no method '"
                    + method + "' (its methods: " + String.join(", ", methods()) + "); export one"
                    + " with @torch.jit.export in Python");
        }
        InputCheck.requireBatch(this, x);
        NDArray input = x.getDataType() == dataType ? x : castKeepingGradient(x, dataType);
        // DJL runs the method named by an input array called "module_method:NAME" (IValueUtils).
        NDArray selector = x.getManager().create(0f);
        selector.setName("module_method:" + method);
        try {
            // training=true for the reasons of the class comment, item 4.
            return open.forward(parameterStore, new NDList(input, selector), true);
        } catch (RuntimeException e) {
            throw new IllegalStateException("TorchScript model '" + name() + "' (" + path
                    + ") failed in method '" + method + "' on a batch of shape " + x.getShape()
                    + ": " + ExportedModels.engineMessage(e), e);
        }
    }

    /** Releases the model's native memory; later calls fail. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            model.close();
        }
    }

    @Override
    public String toString() {
        return "TorchScriptClassifier[" + path + ", input " + inputShape() + ", "
                + numClasses() + " classes]";
    }

    private PtSymbolBlock requireOpen() {
        if (closed) {
            throw new IllegalStateException(
                    "TorchScript model '" + name() + "' (" + path + ") has been closed");
        }
        return block;
    }

    /**
     * Casts {@code x} so that the gradient still flows back to it. DJL's {@code toType} does not:
     * its native cast runs under a no-grad guard, and a backward through it fails with "element 0
     * of tensors does not require grad" (observed). An in-place add into a zero tensor of the
     * target type is an ordinary differentiable PyTorch op whose backward casts the gradient back.
     */
    private static NDArray castKeepingGradient(NDArray x, DataType type) {
        NDArray cast = x.getManager().zeros(x.getShape(), type);
        cast.addi(x);
        return cast;
    }

    private static PtSymbolBlock loadBlock(Model model, Path file) throws ModelLoadException {
        try {
            // trainParam: weights as ordinary tensors, so a backward can pass through them
            // (DJL.md item 1). mapLocation: tensors saved from a GPU are loaded on the CPU.
            model.load(file, null, Map.of("trainParam", "true", "mapLocation", "true"));
        } catch (Exception e) {
            throw new ModelLoadException(file, file + ": " + whyNotTorchScript(file, e), e);
        }
        Block block = model.getBlock();
        if (!(block instanceof PtSymbolBlock)) {
            throw new ModelLoadException(file, file + " did not load as a TorchScript module (got "
                    + (block == null ? "nothing" : block.getClass().getSimpleName()) + "). "
                    + EXPORT_HINT);
        }
        return (PtSymbolBlock) block;
    }

    /**
     * Why a file that PyTorch refused is not TorchScript, and what to do, from its bytes: a
     * TorchScript file is a zip archive holding the module's code; {@code torch.save} writes a zip
     * with weights but no code (or, before PyTorch 1.6, a bare pickle); a copy cut short is a zip
     * whose directory, at the end, is missing.
     */
    private static String whyNotTorchScript(Path file, Exception e) {
        byte[] head;
        try {
            head = ExportedModels.head(file, 4);
        } catch (java.io.IOException io) {
            return "cannot read the file (" + io.getMessage() + "); check its permissions";
        }
        if (head.length == 0) {
            return "the file is empty; export the model again. " + EXPORT_HINT;
        }
        if (!ExportedModels.isZip(head)) {
            if ((head[0] & 0xff) == 0x80) {
                return "not TorchScript but a Python pickle (a file written by torch.save with"
                        + " the legacy format), which only Python can read. " + EXPORT_HINT;
            }
            if (head[0] == ExportedModels.ONNX_FIRST_BYTE) {
                return "not TorchScript but probably an ONNX model (it starts like one, with the"
                        + " byte 08): give it a name ending in .onnx so that Parry loads it as"
                        + " ONNX (query-only)";
            }
            return "not a TorchScript file: TorchScript files are zip archives (they start with"
                    + " 'PK'), this one starts with the bytes "
                    + ExportedModels.hex(head) + ". Check that the path names the exported"
                    + " model. " + EXPORT_HINT;
        }
        boolean hasCode = false;
        try (java.util.zip.ZipFile archive = new java.util.zip.ZipFile(file.toFile())) {
            hasCode = archive.stream().anyMatch(entry -> entry.getName().contains("/code/"));
        } catch (java.io.IOException io) {
            return "the file is truncated or corrupt: it starts like a TorchScript zip archive"
                    + " but its directory cannot be read (" + io.getMessage() + "). Copy it"
                    + " again, or export the model again";
        }
        if (!hasCode) {
            return "not TorchScript but a file written by torch.save (a state dict or a pickled"
                    + " module: weights without the model's code). " + EXPORT_HINT;
        }
        return "PyTorch cannot load this TorchScript file (" + ExportedModels.engineMessage(e)
                + "); it may come from a newer PyTorch than Parry's libtorch, or be damaged. "
                + EXPORT_HINT;
    }

    /** The data type of the model's weights, which inputs are cast to; float32 without weights. */
    private static DataType parameterType(PtSymbolBlock block) {
        for (Pair<String, Parameter> parameter : block.getParameters()) {
            NDArray array = parameter.getValue().getArray();
            if (array != null && array.getDataType().isFloating()) {
                return array.getDataType();
            }
        }
        return DataType.FLOAT32;
    }

    private static int probeNumClasses(Path file, Model model, PtSymbolBlock block,
            Shape inputShape, DataType dataType) throws ModelLoadException {
        Shape batch = new Shape(PROBE_BATCH).addAll(inputShape);
        try (NDManager scope = model.getNDManager().newSubManager()) {
            NDArray zeros = scope.zeros(batch, dataType);
            NDList outputs;
            try {
                outputs = block.forward(new ParameterStore(scope, false), new NDList(zeros), true);
            } catch (EngineException e) {
                throw new InputShapeException(file, inputShape, "TorchScript model " + file
                        + " failed on inputs of shape " + inputShape + " (a batch of shape "
                        + batch + "): " + ExportedModels.engineMessage(e) + ". The model"
                        + " probably expects another input shape: " + ExportedModels.SHAPE_HINT, e);
            } catch (RuntimeException e) {
                throw new ModelLoadException(file, "TorchScript model " + file + " ran on a batch"
                        + " of shape " + batch + " but its output could not be read as tensors ("
                        + ExportedModels.engineMessage(e) + "); Parry needs a forward() that"
                        + " returns one [N, K] tensor of logits", e);
            }
            String problem = ExportedModels.logitsProblem(outputs, batch, -1, LOGITS_FIX);
            if (problem == null) {
                problem = probabilitiesProblem(outputs.get(0));
            }
            if (problem != null) {
                throw new ModelLoadException(file, "TorchScript model " + file + " " + problem);
            }
            return Math.toIntExact(outputs.get(0).getShape().get(1));
        }
    }

    /**
     * Why {@code output} looks like probabilities rather than logits (every value in [0, 1] and
     * every row summing to 1), or null. Attacks need logits: cross-entropy on probabilities is
     * flat where the model is confident, so gradient attacks see almost no gradient and report a
     * robustness the model does not have. Logits of a real model on the probe input (zeros) are
     * not a probability vector except by an accident of measure zero.
     */
    private static String probabilitiesProblem(NDArray output) {
        float[] values = output.toType(DataType.FLOAT32, false).toFloatArray();
        if (!ExportedModels.isProbabilities(values, Math.toIntExact(output.getShape().get(1)))) {
            return null;
        }
        return "returns probabilities (every output row is in [0, 1] and sums to 1), not logits;"
                + " attacks need the logits: remove the final softmax (or return the layer before"
                + " it) and export the model again";
    }
}
