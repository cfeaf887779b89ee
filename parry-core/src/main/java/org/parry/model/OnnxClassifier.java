package org.parry.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.onnxruntime.engine.OrtNDManager;
import ai.djl.onnxruntime.engine.OrtSymbolBlock;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.ValueInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import org.parry.loss.LogitLoss;

/**
 * A classifier in an ONNX file (written by {@code torch.onnx.export}, tf2onnx, skl2onnx, ...), run
 * through DJL's ONNX Runtime engine: a query-only model, as a model served behind an API is. It
 * answers {@link #logits} for batches, one engine call per batch, and counts the images it is
 * queried with ({@link #queries()}); it has no gradients ({@link #hasGradients()} is false), so
 * white-box attacks refuse it up front with the message of {@link
 * NoGradientClassifier#requireGradients}, which names the attacks that work: query attacks
 * (Square), transfer attacks from a substitute or source model, or a trained substitute.
 *
 * <p>The model must have one input, a float32 or float64 batch [N, C, H, W] of pixels in [0, 1]
 * (normalization inside the model, see {@link Bounds}), with a <em>dynamic</em> batch axis
 * (exported with {@code dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}}}), and one
 * output [N, K]. What the file declares is checked when it loads, against the (C, H, W) of the data
 * it will see; K is read off one probe run on two images (zeros and 0.5 everywhere), which the
 * query count leaves out.
 *
 * <h2>Logits or probabilities</h2>
 *
 * A served model often ends in a softmax. If every row of the probe output is a probability vector
 * (all values in [0, 1], each row summing to 1 within 1e-4), the model is taken to output
 * probabilities p, and {@link #logits} returns z = log(max(p, {@link Float#MIN_NORMAL})) for
 * every batch. Softmax is invariant to adding a constant to every logit of a row, so softmax(z) =
 * p / sum(p) = p: the predictions, the probabilities and the margins that score-based attacks such
 * as Square compare are the model's own (a p that underflowed to 0 becomes the smallest normal
 * float, log = -87.3). Logits of a real model are a probability vector on the probe only by an
 * accident of measure zero. {@link #outputsProbabilities()} and {@link #describe()} say which case
 * holds. (TorchScript models must return logits instead, because their gradients would vanish
 * through a saturated softmax; a query-only model has no gradients to lose.)
 *
 * <h2>Engine</h2>
 *
 * The ONNX Runtime session is created here and wrapped in DJL's {@link OrtSymbolBlock} rather than
 * loaded through {@code Model.load}, because DJL's model hides the session, and with it the
 * declared input and output shapes that the load-time checks read. Inputs are copied from the
 * caller's PyTorch arrays into ONNX Runtime tensors and the outputs back into float32 arrays of
 * the caller's manager; everything else lives in a sub-manager of the classifier's ONNX Runtime
 * manager that closes with each call. The classifier owns the session: {@link #close()} it. Not
 * thread-safe (the query counter).
 */
public final class OnnxClassifier implements Classifier {

    private static final String ENGINE = "OnnxRuntime";
    private static final String DYNAMIC_EXPORT = "torch.onnx.export(model.eval(), example_input,"
            + " path, input_names=['input'], output_names=['logits'], dynamic_axes={'input': {0:"
            + " 'batch'}, 'logits': {0: 'batch'}})";
    private static final String EXPORT_HINT =
            "Parry loads ONNX files with one image input and a dynamic batch axis: export the model"
                    + " in Python with " + DYNAMIC_EXPORT;
    private static final String LOGITS_FIX = "; Parry needs an ONNX model with one output, [N, K]"
            + " logits or probabilities (N inputs, K >= 2 classes): export a model that returns"
            + " only those";
    private static final int PROBE_BATCH = 2;

    private final Path path;
    private final Shape inputShape;
    private final int numClasses;
    private final boolean probabilities;
    private final DataType inputType;
    private final NDManager ortManager;
    private final OrtSymbolBlock block;
    private final ParameterStore parameterStore;
    private long queries;
    private boolean closed;

    private OnnxClassifier(Path path, Shape inputShape, int numClasses, boolean probabilities,
            DataType inputType, NDManager ortManager, OrtSymbolBlock block) {
        this.path = path;
        this.inputShape = inputShape;
        this.numClasses = numClasses;
        this.probabilities = probabilities;
        this.inputType = inputType;
        this.ortManager = ortManager;
        this.block = block;
        this.parameterStore = new ParameterStore(ortManager, false);
    }

    /**
     * Loads an ONNX classifier for inputs of the given shape.
     *
     * @param onnxFile an ONNX model file (any extension)
     * @param inputShape the shape of one input, (C, H, W), which the model's declared input must
     *     accept
     * @return the classifier, with its query count at 0
     * @throws ModelLoadException if the file is missing or not ONNX (with what it is instead:
     *     empty, truncated, a zip or a pickle), if the model has more than one input, a fixed batch
     *     size or a non-float input, or if its output is not [N, K]; an {@link
     *     InputShapeException} if it declares or needs another (C, H, W). The message names the
     *     file and the fix, the engine's exception is the cause
     * @throws IllegalArgumentException if {@code inputShape} is not a positive (C, H, W)
     */
    public static OnnxClassifier load(Path onnxFile, Shape inputShape) throws ModelLoadException {
        Objects.requireNonNull(onnxFile, "onnxFile");
        Objects.requireNonNull(inputShape, "inputShape");
        ExportedModels.requireImageShape(inputShape);
        Path file = onnxFile.toAbsolutePath().normalize();
        ExportedModels.requireReadableFile(file, "ONNX", ".onnx", EXPORT_HINT);

        Engine engine;
        try {
            engine = Engine.getEngine(ENGINE);
        } catch (RuntimeException e) {
            throw new ModelLoadException(file, "cannot load " + file + ": DJL's ONNX Runtime"
                    + " engine failed to start (" + ExportedModels.engineMessage(e) + ")", e);
        }
        NDManager manager = engine.newBaseManager(Device.cpu());
        boolean loaded = false;
        try {
            OrtSession session = openSession(file, engine);
            // The manager owns the block, and the block the session: closing the manager closes
            // the session.
            OrtSymbolBlock block = new OrtSymbolBlock(session, (OrtNDManager) manager);
            DataType inputType = checkInput(file, session, inputShape);
            int outputs = session.getOutputInfo().size();
            if (outputs != 1) {
                throw new ModelLoadException(file, "ONNX model " + file + " has " + outputs
                        + " outputs " + session.getOutputNames() + LOGITS_FIX);
            }
            OnnxClassifier classifier = probe(file, inputShape, inputType, manager, block);
            loaded = true;
            return classifier;
        } catch (OrtException e) {
            throw new ModelLoadException(file, "cannot read the inputs and outputs of ONNX model "
                    + file + " (" + ExportedModels.engineMessage(e) + "); export it again", e);
        } finally {
            if (!loaded) {
                manager.close();
            }
        }
    }

    /** The absolute path of the ONNX file. */
    public Path path() {
        return path;
    }

    /**
     * Whether the model outputs probabilities (a final softmax), turned into logits log(p); see
     * the class comment.
     */
    public boolean outputsProbabilities() {
        return probabilities;
    }

    /**
     * The images this classifier has been queried with through {@link #logits}, over its whole
     * life (the load-time probe excluded).
     */
    public long queries() {
        return queries;
    }

    /** What the model is and what Parry makes of its output, in one line. */
    public String describe() {
        return "ONNX, query-only (no gradients): "
                + (probabilities ? "outputs probabilities p (a final softmax); Parry's logits are"
                        + " log(max(p, 1.2e-38)), whose softmax is p again"
                        : "outputs logits");
    }

    @Override
    public String name() {
        return path.getFileName().toString();
    }

    @Override
    public Shape inputShape() {
        return inputShape;
    }

    @Override
    public int numClasses() {
        return numClasses;
    }

    /**
     * Logits for a batch: one ONNX Runtime call, counted in {@link #queries()}.
     *
     * @throws IllegalStateException if the model fails on the batch, returns something other than
     *     [N, K] scores, or returns NaN or infinite scores
     */
    @Override
    public NDArray logits(NDArray x) {
        InputCheck.requireBatch(this, x);
        OrtSymbolBlock open = requireOpen();
        NDManager caller = x.getManager();
        try (NDManager scope = caller.newSubManager();
                NDManager ort = ortManager.newSubManager()) {
            scope.tempAttachAll(x);
            queries += x.getShape().get(0);
            NDList outputs;
            try {
                outputs = run(open, parameterStore, ort, x, inputType);
            } catch (RuntimeException e) {
                throw new IllegalStateException("ONNX model '" + name() + "' (" + path
                        + ") failed on a batch of shape " + x.getShape() + ": "
                        + ExportedModels.engineMessage(e), e);
            }
            String problem =
                    ExportedModels.logitsProblem(outputs, x.getShape(), numClasses, LOGITS_FIX);
            if (problem != null) {
                throw new IllegalStateException(
                        "ONNX model '" + name() + "' (" + path + ") " + problem);
            }
            NDArray scores = toFloat(outputs.get(0), scope);
            NDArray logits = probabilities ? scores.maximum(Float.MIN_NORMAL).log() : scores;
            InputCheck.requireFiniteLogits(this, logits);
            logits.attach(caller);
            return logits;
        }
    }

    /** Always false: an ONNX model is queried, never differentiated. */
    @Override
    public boolean hasGradients() {
        return false;
    }

    /**
     * Always throws.
     *
     * @throws IllegalStateException saying that the model is query-only and which attacks work
     */
    @Override
    public LossGradient lossGradient(NDArray x, NDArray labels, LogitLoss loss) {
        throw new IllegalStateException(NoGradientClassifier.noGradientsMessage(name()));
    }

    /** Releases the ONNX Runtime session; later calls fail. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            ortManager.close();
        }
    }

    @Override
    public String toString() {
        return "OnnxClassifier[" + path + ", input " + inputShape + ", " + numClasses
                + " classes, " + (probabilities ? "probabilities" : "logits") + "]";
    }

    private OrtSymbolBlock requireOpen() {
        if (closed) {
            throw new IllegalStateException(
                    "ONNX model '" + name() + "' (" + path + ") has been closed");
        }
        return block;
    }

    /** One engine call: {@code x} copied into an ONNX Runtime tensor of {@code ort}. */
    private static NDList run(OrtSymbolBlock block, ParameterStore parameterStore, NDManager ort,
            NDArray x, DataType inputType) {
        NDArray typed = x.getDataType() == inputType ? x : x.toType(inputType, false);
        NDArray input = ort.create(typed.toByteBuffer(), typed.getShape(), inputType);
        return block.forward(parameterStore, new NDList(input), false);
    }

    /** A float32 copy of an engine output in {@code manager} (the caller's engine). */
    private static NDArray toFloat(NDArray output, NDManager manager) {
        NDArray copy = manager.create(output.toByteBuffer(), output.getShape(),
                output.getDataType());
        return copy.getDataType() == DataType.FLOAT32 ? copy : copy.toType(DataType.FLOAT32, false);
    }

    private static OrtSession openSession(Path file, Engine engine) throws ModelLoadException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            // The engine has created the process's environment; this returns it.
            return OrtEnvironment.getEnvironment().createSession(file.toString(), options);
        } catch (OrtException e) {
            throw new ModelLoadException(file, file + ": " + whyNotOnnx(file, e, engine), e);
        }
    }

    /**
     * Why a file that ONNX Runtime refused is not a usable ONNX model, from its bytes: an ONNX
     * file is a protobuf ModelProto (first byte 08, see {@link ExportedModels#ONNX_FIRST_BYTE});
     * TorchScript and {@code torch.save} write zip archives, older {@code torch.save} a pickle.
     */
    private static String whyNotOnnx(Path file, OrtException e, Engine engine) {
        byte[] head;
        try {
            head = ExportedModels.head(file, 4);
        } catch (IOException io) {
            return "cannot read the file (" + io.getMessage() + "); check its permissions";
        }
        if (head.length == 0) {
            return "the file is empty; export the model again. " + EXPORT_HINT;
        }
        if (ExportedModels.isZip(head)) {
            return "not an ONNX file but a zip archive, as TorchScript and torch.save write: give"
                    + " a TorchScript file a name ending in .pt (Parry loads it white-box), or "
                    + "export the model to ONNX. " + EXPORT_HINT;
        }
        if ((head[0] & 0xff) == 0x80) {
            return "not an ONNX file but a Python pickle (a file written by torch.save), which"
                    + " only Python can read. " + EXPORT_HINT;
        }
        if (head[0] != ExportedModels.ONNX_FIRST_BYTE) {
            return "not an ONNX file: ONNX files are protobuf messages that start with the byte"
                    + " 08, this one starts with the bytes " + ExportedModels.hex(head)
                    + ". Check that the path names the exported model. " + EXPORT_HINT;
        }
        String message = ExportedModels.engineMessage(e);
        if (message.contains("Protobuf parsing failed")) {
            return "the file is truncated or corrupt: it starts like an ONNX model but ONNX"
                    + " Runtime cannot parse it (" + message + "). Copy it again, or export the"
                    + " model again";
        }
        return "ONNX Runtime " + engine.getVersion() + " cannot load this model (" + message
                + "); it may use an operator or opset this runtime lacks (export it again with"
                + " opset_version=17, say) or be damaged. " + EXPORT_HINT;
    }

    /**
     * Checks the declared input against what Parry feeds: one float tensor [N, C, H, W] with a
     * dynamic N and, where the file fixes them, the given C, H and W.
     *
     * @return the input's data type
     */
    private static DataType checkInput(Path file, OrtSession session, Shape inputShape)
            throws OrtException, ModelLoadException {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        String model = "ONNX model " + file;
        if (inputs.size() != 1) {
            throw new ModelLoadException(file, model + " has " + inputs.size() + " inputs "
                    + inputs.keySet() + " but Parry feeds it one batch of images [N, C, H, W];"
                    + " export a model whose only input is the image batch (in Python, wrap it"
                    + " so that forward() takes only the images and fixes the other inputs)");
        }
        NodeInfo input = inputs.values().iterator().next();
        String named = model + ": its input '" + input.getName() + "'";
        ValueInfo value = input.getInfo();
        if (!(value instanceof TensorInfo tensor)) {
            throw new ModelLoadException(file, named + " is not a tensor but " + value
                    + "; Parry feeds a float tensor of images [N, C, H, W]. " + EXPORT_HINT);
        }
        DataType type = switch (tensor.type) {
            case FLOAT -> DataType.FLOAT32;
            case DOUBLE -> DataType.FLOAT64;
            default -> null;
        };
        if (type == null) {
            throw new ModelLoadException(file, named + " takes " + tensor.type + " values but"
                    + " Parry feeds float pixels in [0, 1]; export the model with a float32"
                    + " input, with any conversion (to 8-bit pixels, say) inside the model");
        }
        long[] declared = tensor.getShape();
        String shown = describe(declared, tensor.getDimensionNames());
        if (declared.length != 4) {
            throw new ModelLoadException(file, named + " is declared " + shown + " but Parry"
                    + " feeds batches of images [N, C, H, W]; export a model that takes an image"
                    + " batch. " + EXPORT_HINT);
        }
        if (declared[0] > 0) {
            throw new ModelLoadException(file, model + " has a fixed batch size of " + declared[0]
                    + " (its input '" + input.getName() + "' is declared " + shown + ") but"
                    + " Parry queries batches of any size; export it again with a dynamic batch"
                    + " axis: " + DYNAMIC_EXPORT);
        }
        for (int i = 0; i < 3; i++) {
            if (declared[i + 1] > 0 && declared[i + 1] != inputShape.get(i)) {
                boolean channelsLast = declared[1] == inputShape.get(1)
                        && declared[2] == inputShape.get(2) && declared[3] == inputShape.get(0);
                throw new InputShapeException(file, inputShape, model + " takes images of shape "
                        + describe(Arrays.copyOfRange(declared, 1, 4), null).replace('[', '(')
                                .replace(']', ')')
                        + " (its input '" + input.getName() + "' is declared " + shown + ") but"
                        + " was given inputs of shape " + inputShape + ": " + (channelsLast
                                ? "the model takes channels-last images (N, H, W, C), as"
                                        + " TensorFlow exports them, and Parry feeds (N, C, H, W);"
                                        + " convert it with tf2onnx's --inputs-as-nchw, or"
                                        + " transpose inside the model"
                                : ExportedModels.SHAPE_HINT), null);
            }
        }
        return type;
    }

    /** A declared shape as "[batch, 1, 8, 8]": dynamic axes by name, or "?" without one. */
    private static String describe(long[] shape, String[] names) {
        StringBuilder text = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            text.append(i == 0 ? "" : ", ");
            if (shape[i] >= 0) {
                text.append(shape[i]);
            } else {
                boolean named = names != null && i < names.length && !names[i].isEmpty();
                text.append(named ? names[i] : "?");
            }
        }
        return text.append(']').toString();
    }

    /**
     * One run on {@value #PROBE_BATCH} images (zeros, then 0.5 everywhere) of the given shape:
     * the number of classes, and whether the output is probabilities.
     */
    private static OnnxClassifier probe(Path file, Shape inputShape, DataType inputType,
            NDManager manager, OrtSymbolBlock block) throws ModelLoadException {
        Shape one = new Shape(1).addAll(inputShape);
        Shape batch = new Shape(PROBE_BATCH).addAll(inputShape);
        ParameterStore parameterStore = new ParameterStore(manager, false);
        try (NDManager scope = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                NDManager ort = manager.newSubManager()) {
            NDArray images = scope.zeros(one).concat(scope.full(one, 0.5f));
            NDList outputs;
            try {
                outputs = run(block, parameterStore, ort, images, inputType);
            } catch (RuntimeException e) {
                throw new InputShapeException(file, inputShape, "ONNX model " + file
                        + " failed on inputs of shape " + inputShape + " (a batch of shape "
                        + batch + "): " + ExportedModels.engineMessage(e) + ". The model probably"
                        + " expects another input shape: " + ExportedModels.SHAPE_HINT, e);
            }
            String problem = ExportedModels.logitsProblem(outputs, batch, -1, LOGITS_FIX);
            if (problem != null) {
                throw new ModelLoadException(file, "ONNX model " + file + " " + problem);
            }
            NDArray scores = toFloat(outputs.get(0), scope);
            int numClasses = Math.toIntExact(scores.getShape().get(1));
            boolean probabilities =
                    ExportedModels.isProbabilities(scores.toFloatArray(), numClasses);
            return new OnnxClassifier(file, inputShape, numClasses, probabilities, inputType,
                    manager, block);
        }
    }
}
