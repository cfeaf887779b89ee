package org.parry.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Locale;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A model's own forward pass, checked once against libtorch's own kernels before Parry trusts it.
 * On an AVX-512 AMD EPYC, oneDNN's float32 convolutions returned wrong outputs (relative error
 * 0.03–0.06, or NaN from one call to the next) for input channel counts above 16 that are not a
 * multiple of 16 (17, 18, 24, 33 measured: 17 is the time-channel convolution of a 16-wide
 * ODENet), while 1, 9, 15, 16, 32, 48 and 64 were right. The engine self-test covers the layer shapes Parry's zoo was built
 * with; a model brings its own shapes, so each model's forward pass is run on its first batch
 * twice with oneDNN and once without, and if the outputs disagree by more than {@link
 * SelfTest#FLOAT32_LIMIT} (relative L2) or are non-finite only with oneDNN, oneDNN is switched off
 * for the rest of the process: every later pass, forward and backward, of every model runs on
 * libtorch's own kernels (slower, and right), and a line on standard error says so. Where
 * libtorch's context cannot be reached (no switch) nothing is checked.
 */
public final class ForwardCheck {

    private static volatile String fault;

    private ForwardCheck() {}

    /**
     * Checks {@code forward} on {@code probe} unless oneDNN is already off.
     *
     * @param model the model's name, for the message
     * @param forward the model's forward pass, without gradients
     * @param probe a few inputs of the model
     */
    public static void verify(String model, UnaryOperator<NDArray> forward, NDArray probe) {
        TorchContext torch = TorchContext.instance().orElse(null);
        if (torch == null || !torch.oneDnnEnabled()) {
            return;
        }
        synchronized (ForwardCheck.class) {
            if (!torch.oneDnnEnabled()) {
                return;
            }
            NDArray first = forward.apply(probe).toType(DataType.FLOAT64, false);
            NDArray second = forward.apply(probe).toType(DataType.FLOAT64, false);
            torch.setOneDnnEnabled(false);
            NDArray reference = forward.apply(probe).toType(DataType.FLOAT64, false);
            double error = Math.max(error(first, reference), error(second, reference));
            if (error <= SelfTest.FLOAT32_LIMIT || !finite(reference)) {
                torch.setOneDnnEnabled(true);
                return;
            }
            fault = String.format(Locale.ROOT, "oneDNN's forward pass of model '%s' differs from"
                    + " libtorch's own kernels on this machine (relative error %s); oneDNN is off"
                    + " for this process", model, Double.isNaN(error) ? "NaN"
                            : String.format(Locale.ROOT, "%.3g", error));
            System.err.println("parry: " + fault + " (slower, and right)");
        }
    }

    /** Forgets the fault and switches oneDNN back on, for tests that simulate one. */
    static synchronized void reset() {
        fault = null;
        TorchContext.instance().ifPresent(torch -> torch.setOneDnnEnabled(true));
    }

    /**
     * A second chance for a pass that returned non-finite outputs while oneDNN is on: oneDNN's
     * faulty convolutions return NaN only now and then, so the first-batch check can pass and a
     * later batch fail. The same inputs are run on libtorch's own kernels; if those outputs are
     * finite, oneDNN is at fault: it is switched off for the process (with the line {@link
     * #verify} prints) and the right outputs are returned. Otherwise nothing changes and the
     * caller reports the non-finite outputs as the model's.
     *
     * @param model the model's name, for the message
     * @param forward the model's forward pass (inside a gradient collector, the retry's graph is
     *     the one to differentiate)
     * @param x the inputs whose outputs were not finite
     * @return libtorch's outputs when they are finite and oneDNN's were not, else empty
     */
    public static Optional<NDArray> retryWithoutOneDnn(String model, UnaryOperator<NDArray> forward,
            NDArray x) {
        TorchContext torch = TorchContext.instance().orElse(null);
        if (torch == null) {
            return Optional.empty();
        }
        synchronized (ForwardCheck.class) {
            if (!torch.oneDnnEnabled()) {
                return Optional.empty();
            }
            torch.setOneDnnEnabled(false);
            NDArray reference = forward.apply(x);
            if (!finite(reference.toType(DataType.FLOAT64, false))) {
                torch.setOneDnnEnabled(true);
                return Optional.empty();
            }
            fault = String.format(Locale.ROOT, "oneDNN's forward pass of model '%s' returned"
                    + " non-finite outputs where libtorch's own kernels did not; oneDNN is off for"
                    + " this process", model);
            System.err.println("parry: " + fault + " (slower, and right)");
            return Optional.of(reference);
        }
    }

    /** The fault that switched oneDNN off in this process, if one did. */
    public static Optional<String> fault() {
        return Optional.ofNullable(fault);
    }

    private static double error(NDArray value, NDArray reference) {
        double error = value.sub(reference).norm().getDouble()
                / Math.max(reference.norm().getDouble(), 1e-300);
        return Double.isFinite(error) ? error : Double.NaN;
    }

    private static boolean finite(NDArray value) {
        return !value.isNaN().any().getBoolean() && !value.isInfinite().any().getBoolean();
    }
}
